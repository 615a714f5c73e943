// The GPU backend: every KVTP operation as WGSL compute, all frames at once, one command
// encoder per operation and one readback at its end (two for reduce: the row count first).
// Semantics are those of the CPU reference (src/kvtp/*.ts); floats are f32. The reduction's
// chain is in chain.ts (and tome.ts); its buffers come from `options.pool` when
// given (reused across runs), else are made per run.

import allocateWgsl from '../../../shaders/allocate.wgsl?raw';
import relevanceWgsl from '../../../shaders/relevance.wgsl?raw';
import type { BufferPool } from '../../gpu/buffers.ts';
import type { GpuContext } from '../../gpu/device.ts';
import { readbackMany, upload } from '../../gpu/transfer.ts';
import { STORAGE, UNIFORM } from '../../gpu/usage.ts';
import {
  checkAllocation,
  effectiveMin,
  PAPER_SNAP,
  totalBudget,
  uniformKeep,
} from '../allocate.ts';
import { AllocParams, ScoreParams } from './layouts.ts';
import { encodeImportance } from './tome.ts';
import { readReduced } from './read.ts';
import { encodeReduceChain, type ReducedOnGpu, type Separators } from './chain.ts';
import { ChainBuffers, KernelFamily, scratch, type BindingKind } from './kernels.ts';
import { checkTokens } from '../reduce-cpu.ts';
import { checkScoreInput } from '../scores.ts';
import { kvtpSource, vectorWidth, type VectorWidths } from './wgsl.ts';
import type {
  Allocation,
  AllocationParams,
  FrameTokens,
  KvtpBackend,
  ReduceParams,
  Reduced,
  ScoreInput,
} from '../types.ts';

export { readReduced } from './read.ts';
export type { ReducedOnGpu } from './chain.ts';

/** The widest allocation workgroup; each invocation loops over frames i, i + WG, … */
const ALLOCATION_WG_MAX = 256;

const WG = 64;
const U: BindingKind = 'uniform';
const R: BindingKind = 'read';
const W: BindingKind = 'storage';
const MODES = { paper: 0, exact: 1, uniform: 2, hard: 3 } as const;

/** ToMe rounds frame budgets need: each round removes min(count − k, floor(count/2)). */
export function tomeRounds(tokens: number, keep: readonly number[]): number {
  let most = 0;
  for (const k of keep) {
    if (k === 0) continue;
    let c = tokens;
    let rounds = 0;
    while (c > k) {
      c -= Math.min(c - k, Math.floor(c / 2));
      rounds++;
    }
    most = Math.max(most, rounds);
  }
  return most;
}

export interface GpuKvtpOptions {
  /** Where reductions take their buffers from; reused across runs (default: fresh per run). */
  readonly pool?: BufferPool;
}

export class GpuKvtp implements KvtpBackend {
  readonly name = 'gpu';
  private readonly families = new Map<string, KernelFamily>();
  private readonly pool: BufferPool | null;

  constructor(
    readonly ctx: GpuContext,
    options: GpuKvtpOptions = {},
  ) {
    this.pool = options.pool ?? null;
  }

  /**
   * A kernel family, compiled once per vector variant: with its declared includes (src/kvtp/gpu/wgsl.ts),
   * VK (keys) and VF (features) vec4 when the width is a multiple of 4, so the inner loops load
   * 16 bytes at a time, and f32 otherwise. `overrides` replace override constants (WG defaults
   * to 64 where the source declares it).
   */
  family(
    name: string,
    code: string,
    bindings: BindingKind[],
    widths: VectorWidths = {},
    overrides: Record<string, number> = {},
  ): KernelFamily {
    const kw = vectorWidth(widths.keys);
    const fw = vectorWidth(widths.features);
    const key = `${name}:${kw}:${fw}:${JSON.stringify(overrides)}`;
    let f = this.families.get(key);
    if (!f) {
      const source = kvtpSource(code, widths);
      const constants: Record<string, number> = {
        ...(source.includes('override WG') ? { WG } : {}),
        ...overrides,
      };
      f = new KernelFamily(this.ctx.device, key, source, bindings, constants);
      this.families.set(key, f);
    }
    return f;
  }

  private upload(data: ArrayBufferView, label: string, usage = STORAGE): GPUBuffer {
    return upload(this.ctx, data.byteLength ? data : new Uint8Array(16), usage, label);
  }

  async scores(input: ScoreInput): Promise<Float32Array> {
    checkScoreInput(input);
    const { frames, windows, dim, head } = input;
    const mlp = head.kind === 'mlp' ? head.weights : null;
    const family = this.family('relevance', relevanceWgsl, [U, R, R, R, R, R, W]);
    const params = ScoreParams.pack({
      frames,
      windows,
      dim,
      hidden: mlp?.hidden ?? 0,
      kind: mlp ? (mlp.activation === 'gelu' ? 1 : 2) : 0,
      scale: head.kind === 'siglip' ? head.scale : 0,
      bias: head.kind === 'siglip' ? head.bias : 0,
      b2: mlp?.b2 ?? 0,
    });
    const empty = new Float32Array(4);
    const buffers = [
      this.upload(new Uint8Array(params), 'score params', UNIFORM),
      this.upload(input.image, 'image embeddings'),
      this.upload(input.text, 'text embeddings'),
      this.upload(mlp?.w1 ?? empty, 'head w1'),
      this.upload(mlp?.b1 ?? empty, 'head b1'),
      this.upload(mlp?.w2 ?? empty, 'head w2'),
      scratch(this.ctx.device, frames * 4, 'scores'),
    ];
    const enc = this.ctx.device.createCommandEncoder({ label: 'scores' });
    family.dispatch(enc, 'scoreFrames', family.bind(buffers), frames);
    this.ctx.device.queue.submit([enc.finish()]);
    const [out] = await readbackMany(this.ctx.device, [
      { buffer: buffers[6]!, byteLength: frames * 4 },
    ]);
    buffers.forEach((b) => b.destroy());
    return new Float32Array(out!);
  }

  async allocate(scores: ArrayLike<number>, p: AllocationParams): Promise<Allocation> {
    checkAllocation(scores, p);
    const L = scores.length;
    const N = p.tokensPerFrame ?? 0;
    const total = N ? totalBudget(L, N, p.keepRatio) : 0;
    // a workgroup no wider than the frames need (a power of two, 32 to 256): idle invocations
    // still wait at every barrier of the reductions
    const wg = Math.min(ALLOCATION_WG_MAX, Math.max(32, 2 ** Math.ceil(Math.log2(L))));
    const family = this.family('allocate', allocateWgsl, [U, R, W, W, W], {}, { WG: wg });
    const params = AllocParams.pack({
      frames: L,
      tokens: N,
      mode: MODES[p.mode],
      total,
      minPerFrame: N ? effectiveMin(L, N, total, p.minPerFrame ?? 1) : 0,
      uniformKeep: N ? uniformKeep(N, p.keepRatio) : 0,
      keepRatio: p.keepRatio,
      temperature: p.temperature,
      snap: PAPER_SNAP,
      tomePaper: p.method === 'tome' ? 1 : 0,
    });
    const buffers = [
      this.upload(new Uint8Array(params), 'allocation params', UNIFORM),
      this.upload(Float32Array.from(scores), 'scores'),
      scratch(this.ctx.device, L * 4, 'rates'),
      scratch(this.ctx.device, L * 4, 'keep'),
      scratch(this.ctx.device, L * 4, 'ranked values'),
    ];
    const enc = this.ctx.device.createCommandEncoder({ label: 'allocate' });
    family.dispatch(enc, 'allocate', family.bind(buffers), 1);
    this.ctx.device.queue.submit([enc.finish()]);
    const [rates, keep] = await readbackMany(this.ctx.device, [
      { buffer: buffers[2]!, byteLength: L * 4 },
      { buffer: buffers[3]!, byteLength: L * 4 },
    ]);
    buffers.forEach((b) => b.destroy());
    const out = { rates: Array.from(new Float32Array(rates!)) };
    return N ? { ...out, keep: Array.from(new Uint32Array(keep!)) } : out;
  }

  async importance(t: FrameTokens): Promise<Float32Array> {
    checkTokens(t);
    const temps = new ChainBuffers(this.ctx, this.pool);
    try {
      const keys = temps.upload(t.keys ?? t.features, 'keys');
      const out = temps.storage(t.frames * t.tokens * 4, 'importance');
      const enc = this.ctx.device.createCommandEncoder({ label: 'importance' });
      const norms = temps.storage(t.frames * t.tokens * 4, 'key norms');
      encodeImportance(this, enc, t, keys, out, norms, temps, WG);
      this.ctx.device.queue.submit([enc.finish()]);
      const [bytes] = await readbackMany(this.ctx.device, [
        { buffer: out, byteLength: t.frames * t.tokens * 4 },
      ]);
      return new Float32Array(bytes!);
    } finally {
      temps.release();
    }
  }

  /**
   * Record the whole reduction and gather into `enc` (no readback): per-frame selection or
   * merging, layout, then the gathered rows. `features`/`keys` may be buffers the caller owns.
   */
  encodeReduce(
    enc: GPUCommandEncoder,
    t: FrameTokens,
    p: ReduceParams,
    separators: Separators = { mode: 'none', embedding: null },
    inputs?: { features: GPUBuffer; keys: GPUBuffer | null },
  ): ReducedOnGpu {
    return encodeReduceChain(this, enc, t, p, separators, inputs, this.pool, WG);
  }

  async reduce(t: FrameTokens, p: ReduceParams, separators?: Separators): Promise<Reduced> {
    const { device } = this.ctx;
    const enc = device.createCommandEncoder({ label: 'reduce' });
    const g = this.encodeReduce(enc, t, p, separators);
    device.queue.submit([enc.finish()]);
    try {
      return await readReduced(device, t, p, g);
    } finally {
      g.release();
    }
  }

  dispose(): void {
    this.families.clear(); // (a pool passed in is its owner's to trim)
  }
}
