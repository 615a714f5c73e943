// The GPU backend: every KVTP operation as WGSL compute, all frames at once, one command
// encoder per operation and one readback at its end (two for reduce: the row count first).
// Semantics are those of the CPU reference (src/kvtp/*.ts); floats are f32. Each operation's
// encoder is in its own file: relevance.ts (scores), allocate.ts (budgets), importance.ts, and
// the reduction's chain in chain.ts with its methods in random.ts, tome.ts and prumerge.ts; the
// reduction's buffers come from `options.pool` when given (reused across runs), else are made
// per run.

import type { BufferPool } from '../../gpu/buffers.ts';
import type { GpuContext } from '../../gpu/device.ts';
import { readbackMany } from '../../gpu/transfer.ts';
import { checkTokens } from '../reduce-cpu.ts';
import type {
  Allocation,
  AllocationParams,
  FrameTokens,
  KvtpBackend,
  ReduceParams,
  Reduced,
  Rows,
  ScoreInput,
} from '../types.ts';
import { allocateOnGpu, scoreAndAllocateOnGpu } from './allocate.ts';
import { encodeReduceChain, type ReducedOnGpu } from './chain.ts';
import { encodeImportance } from './importance.ts';
import { ChainBuffers, KernelFamily, type KernelSpec, type VariantOptions } from './kernels.ts';
import { readReduced } from './read.ts';
import { scoresOnGpu } from './relevance.ts';
import { kvtpSource, vectorWidth } from './wgsl.ts';

const WG = 64;

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
   * A kernel family, compiled once per vector variant: with its declared includes
   * (src/kvtp/gpu/wgsl.ts), VK (keys) and VF (features) vec4 when the width is a multiple of 4,
   * so the inner loops load 16 bytes at a time, and f32 otherwise. `overrides` replace override
   * constants (WG defaults to 64 where the source declares it).
   */
  family(spec: KernelSpec, { widths = {}, overrides = {} }: VariantOptions = {}): KernelFamily {
    const kw = vectorWidth(widths.keys);
    const fw = vectorWidth(widths.features);
    const key = `${spec.name}:${kw}:${fw}:${JSON.stringify(overrides)}`;
    let f = this.families.get(key);
    if (!f) {
      const source = kvtpSource(spec.code, widths);
      const constants: Record<string, number> = {
        ...(source.includes('override WG') ? { WG } : {}),
        ...overrides,
      };
      f = new KernelFamily(this.ctx.device, key, source, spec.bindings, constants);
      this.families.set(key, f);
    }
    return f;
  }

  scores(input: ScoreInput): Promise<Float32Array> {
    return scoresOnGpu(this, input);
  }

  allocate(scores: ArrayLike<number>, p: AllocationParams): Promise<Allocation> {
    return allocateOnGpu(this, scores, p);
  }

  scoreAndAllocate(
    input: ScoreInput,
    p: AllocationParams,
  ): Promise<{ scores: Float32Array; allocation: Allocation }> {
    return scoreAndAllocateOnGpu(this, input, p);
  }

  async importance(t: FrameTokens): Promise<Float32Array> {
    checkTokens(t);
    const temps = new ChainBuffers(this.ctx, this.pool);
    try {
      const keys = temps.upload(t.keys ?? t.features, 'keys');
      const importance = temps.storage(t.frames * t.tokens * 4, 'importance');
      const norms = temps.storage(t.frames * t.tokens * 4, 'key norms');
      const encoder = this.ctx.device.createCommandEncoder({ label: 'importance' });
      const recording = { kernels: this, encoder, tokens: t, temps, wg: WG };
      encodeImportance(recording, { keys, importance, norms });
      this.ctx.device.queue.submit([encoder.finish()]);
      const [bytes] = await readbackMany(this.ctx.device, [
        { buffer: importance, byteLength: t.frames * t.tokens * 4 },
      ]);
      return new Float32Array(bytes!);
    } finally {
      temps.release();
    }
  }

  /**
   * Record the whole reduction and gather into `encoder` (no readback): per-frame selection or
   * merging, layout, then the gathered rows. Features and keys may be GpuRows: buffers the
   * caller owns, read in place.
   */
  encodeReduce(encoder: GPUCommandEncoder, t: FrameTokens<Rows>, p: ReduceParams): ReducedOnGpu {
    return encodeReduceChain({
      kernels: this,
      encoder,
      tokens: t,
      budgets: p,
      pool: this.pool,
      wg: WG,
    });
  }

  async reduce(t: FrameTokens, p: ReduceParams): Promise<Reduced> {
    const { device } = this.ctx;
    const enc = device.createCommandEncoder({ label: 'reduce' });
    const g = this.encodeReduce(enc, t, p);
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
