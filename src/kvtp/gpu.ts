// The GPU backend: every KVTP operation as WGSL compute, all frames at once, one command
// encoder per operation and one readback at its end (two for reduce: the row count first).
// Semantics are those of the CPU reference (src/kvtp/*.ts); floats are f32.

import allocateWgsl from '../../shaders/allocate.wgsl?raw';
import commonWgsl from '../../shaders/kvtp-common.wgsl?raw';
import gatherWgsl from '../../shaders/gather.wgsl?raw';
import importanceWgsl from '../../shaders/importance.wgsl?raw';
import layoutWgsl from '../../shaders/layout.wgsl?raw';
import normsWgsl from '../../shaders/norms.wgsl?raw';
import prumergeWgsl from '../../shaders/prumerge.wgsl?raw';
import randomWgsl from '../../shaders/random.wgsl?raw';
import relevanceWgsl from '../../shaders/relevance.wgsl?raw';
import tomeWgsl from '../../shaders/tome.wgsl?raw';
import type { GpuContext } from '../gpu/device.ts';
import { readbackMany, upload } from '../gpu/transfer.ts';
import { uniformLayout } from '../gpu/uniforms.ts';
import { STORAGE, UNIFORM } from '../gpu/usage.ts';
import { checkAllocation, effectiveMin, PAPER_SNAP, totalBudget, uniformKeep } from './allocate.ts';
import { KernelFamily, scratch, type BindingKind } from './kernels.ts';
import { checkReduce, checkTokens, PRUMERGE_NEIGHBOURS } from './reduce-cpu.ts';
import { checkScoreInput } from './scores.ts';
import type {
  Allocation,
  AllocationParams,
  FrameTokens,
  KvtpBackend,
  ReduceParams,
  Reduced,
  ScoreInput,
  SeparatorMode,
} from './types.ts';

/**
 * Invocations of the allocation workgroup. No longer a limit on frames: each invocation loops
 * over frames i, i + 256, … (kept for callers that read it).
 */
export const MAX_ALLOCATION_FRAMES = 256;

const Params = uniformLayout({
  frames: 'u32',
  tokens: 'u32',
  dim: 'u32',
  keyDim: 'u32',
  gridW: 'u32',
  half: 'u32',
  neighbours: 'u32',
  method: 'u32',
  sepMode: 'u32',
  seed: 'u32',
  maxRows: 'u32',
  width: 'u32',
});
const AllocParams = uniformLayout({
  frames: 'u32',
  tokens: 'u32',
  mode: 'u32',
  total: 'u32',
  minPerFrame: 'u32',
  uniformKeep: 'u32',
  keepRatio: 'f32',
  temperature: 'f32',
  snap: 'f32',
});
const ScoreParams = uniformLayout({
  frames: 'u32',
  windows: 'u32',
  dim: 'u32',
  hidden: 'u32',
  kind: 'u32',
  scale: 'f32',
  bias: 'f32',
  b2: 'f32',
});

const WG = 64;
const U: BindingKind = 'uniform';
const R: BindingKind = 'read';
const W: BindingKind = 'storage';
const MODES = { paper: 0, exact: 1, uniform: 2, hard: 3 } as const;
const SEPARATORS: Record<SeparatorMode, number> = { none: 0, frame: 1, row: 2 };

/** The GPU buffers of a reduction, for callers that keep the kept tokens on the GPU. */
export interface ReducedOnGpu {
  /** [maxRows·D] gathered rows; the first `rows` are valid once the work is done. */
  readonly features: GPUBuffer;
  /** [2L + 1] u32: rows per frame, then offsets (the last one is the row count). */
  readonly frameRows: GPUBuffer;
  /** [maxRows] (frame·N + token | −1, frame) per row. */
  readonly rows: GPUBuffer;
  /** [L·N] (.x: representative or −1). */
  readonly assign: GPUBuffer;
  /** PruMerge neighbour lists and per-token spans. */
  readonly members: GPUBuffer;
  readonly spans: GPUBuffer;
  readonly maxRows: number;
  /** Free every buffer made for this reduction except `keep` (features when asked). */
  release(keepFeatures?: boolean): void;
}

/** WGSL aliases for the key (VK) and feature (VF) vector types, of width 4 or 1. */
function vectorPrelude(keyWidth: number, featureWidth: number): string {
  const alias = (name: string, short: string, w: number) =>
    w === 4
      ? `alias ${name} = vec4<f32>;\nconst ${name}W: u32 = 4u;\nfn dot${short}(a: ${name}, b: ${name}) -> f32 { return dot(a, b); }`
      : `alias ${name} = f32;\nconst ${name}W: u32 = 1u;\nfn dot${short}(a: ${name}, b: ${name}) -> f32 { return a * b; }`;
  return `${alias('VK', 'K', keyWidth)}\n${alias('VF', 'F', featureWidth)}`;
}

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

export class GpuKvtp implements KvtpBackend {
  readonly name = 'gpu';
  private readonly families = new Map<string, KernelFamily>();

  constructor(readonly ctx: GpuContext) {}

  /**
   * A kernel family, compiled once per vector variant: VK (keys) and VF (features) are vec4 when
   * the width is a multiple of 4, so the inner loops load 16 bytes at a time, and f32 otherwise.
   */
  private family(
    name: string,
    code: string,
    bindings: BindingKind[],
    common = true,
    widths: { keys?: number; features?: number } = {},
    overrides: Record<string, number> = {},
  ): KernelFamily {
    const kw = (widths.keys ?? 1) % 4 === 0 ? 4 : 1;
    const fw = (widths.features ?? 1) % 4 === 0 ? 4 : 1;
    const key = `${name}:${kw}:${fw}:${JSON.stringify(overrides)}`;
    let f = this.families.get(key);
    if (!f) {
      const source = common ? `${vectorPrelude(kw, fw)}\n${commonWgsl}\n${code}` : code;
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
    const family = this.family('relevance', relevanceWgsl, [U, R, R, R, R, R, W], false);
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
    const wg = Math.min(MAX_ALLOCATION_FRAMES, Math.max(32, 2 ** Math.ceil(Math.log2(L))));
    const family = this.family('allocate', allocateWgsl, [U, R, W, W, W], false, {}, { WG: wg });
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

  private params(t: FrameTokens, extra: Partial<Record<keyof typeof Params.offsets, number>> = {}) {
    const values = {
      frames: t.frames,
      tokens: t.tokens,
      dim: t.dim,
      keyDim: t.keyDim,
      gridW: t.grid[1],
      half: Math.ceil(t.tokens / 2),
      neighbours: Math.min(PRUMERGE_NEIGHBOURS, t.tokens - 1),
      method: 0,
      sepMode: 0,
      seed: 0,
      maxRows: 0,
      width: t.dim,
      ...extra,
    };
    return this.upload(new Uint8Array(Params.pack(values)), 'kvtp params', UNIFORM);
  }

  /** Record the importance chain for `keys` into `encoder`, writing `out` [L·N]. */
  private encodeImportance(
    enc: GPUCommandEncoder,
    t: FrameTokens,
    keys: GPUBuffer,
    out: GPUBuffer,
  ): GPUBuffer[] {
    const family = this.family('importance', importanceWgsl, [U, R, W, W], true, {
      keys: t.keyDim,
    });
    const params = this.params(t);
    const mean = scratch(this.ctx.device, t.frames * t.keyDim * 4, 'mean keys');
    const group = family.bind([params, keys, mean, out]);
    family.dispatch(enc, 'meanKeys', group, Math.ceil(t.keyDim / WG), t.frames); // (over-covers vec4 widths)
    family.dispatch(enc, 'logits', group, Math.ceil(t.tokens / WG), t.frames);
    family.dispatch(enc, 'softmax', group, 1, t.frames);
    return [params, mean];
  }

  async importance(t: FrameTokens): Promise<Float32Array> {
    checkTokens(t);
    const keys = this.upload(t.keys ?? t.features, 'keys');
    const out = scratch(this.ctx.device, t.frames * t.tokens * 4, 'importance');
    const enc = this.ctx.device.createCommandEncoder({ label: 'importance' });
    const temps = this.encodeImportance(enc, t, keys, out);
    this.ctx.device.queue.submit([enc.finish()]);
    const [bytes] = await readbackMany(this.ctx.device, [
      { buffer: out, byteLength: t.frames * t.tokens * 4 },
    ]);
    [keys, out, ...temps].forEach((b) => b.destroy());
    return new Float32Array(bytes!);
  }

  private encodeNorms(
    enc: GPUCommandEncoder,
    t: FrameTokens,
    rows: GPUBuffer,
    width: number,
    out: GPUBuffer,
  ) {
    const family = this.family('norms', normsWgsl, [U, R, W], true, { keys: width });
    const params = this.params(t, { width });
    const groups = Math.ceil((t.frames * t.tokens) / WG);
    const x = Math.min(groups, this.ctx.limits.maxComputeWorkgroupsPerDimension);
    family.dispatch(enc, 'rowNorms', family.bind([params, rows, out]), x, Math.ceil(groups / x));
    return params;
  }

  /**
   * Record the whole reduction and gather into `enc` (no readback): per-frame selection or
   * merging, layout, then the gathered rows. `features`/`keys` may be buffers the caller owns.
   */
  encodeReduce(
    enc: GPUCommandEncoder,
    t: FrameTokens,
    p: ReduceParams,
    separators: { mode: SeparatorMode; embedding: Float32Array | null } = {
      mode: 'none',
      embedding: null,
    },
    inputs?: { features: GPUBuffer; keys: GPUBuffer | null },
  ): ReducedOnGpu {
    checkTokens(t);
    checkReduce(t, p);
    const { device } = this.ctx;
    const { frames: L, tokens: N, dim: D, keyDim: Dk, grid } = t;
    const temps: GPUBuffer[] = [];
    const keep = (t2: GPUBuffer) => (temps.push(t2), t2);
    const features = inputs?.features ?? keep(this.upload(t.features, 'features'));
    const keys = inputs
      ? (inputs.keys ?? features)
      : t.keys
        ? keep(this.upload(t.keys, 'keys'))
        : features;
    const budgets = p.method === 'none' ? Array<number>(L).fill(N) : p.keep;
    const keepBuf = keep(this.upload(Uint32Array.from(budgets), 'budgets'));
    const method = p.method === 'tome' ? 1 : p.method === 'prumerge' ? 2 : 0;
    const M = Math.min(PRUMERGE_NEIGHBOURS, N - 1);
    const sepMode = SEPARATORS[separators.mode];
    const maxRows = L * N + (sepMode === 1 ? L : sepMode === 2 ? L * grid[0] : 0);
    const params = keep(this.params(t, { method, sepMode, seed: (p.seed ?? 0) >>> 0, maxRows }));
    const assign = scratch(device, L * N * 8, 'assign');
    const members = scratch(device, L * N * Math.max(1, method === 2 ? M : 1) * 8, 'members');
    const spans = scratch(device, L * N * 8, 'spans');
    const frameRows = scratch(device, (2 * L + 1) * 4, 'frame rows');
    const rows = scratch(device, maxRows * 8, 'rows');
    const out = scratch(device, maxRows * D * 4, 'gathered');
    const fnorm = keep(scratch(device, method === 1 ? L * N * 4 : 16, 'feature norms'));
    const tx = Math.ceil(N / WG);

    if (method === 0) {
      const family = this.family('random', randomWgsl, [U, R, W]);
      family.dispatch(enc, 'randomSelect', family.bind([params, keepBuf, assign]), tx, L);
    } else if (method === 1) {
      const family = this.family('tome', tomeWgsl, [U, R, R, W, W, W, W, W], true, { keys: Dk });
      const state = [
        scratch(device, L * (N + 1) * 4, 'tome state'),
        scratch(device, L * (N + 1) * 4, 'tome state'),
      ];
      const ksum = scratch(device, L * N * Dk * 4, 'key sums');
      const knorm = scratch(device, L * N * 4, 'key norms');
      const matches = scratch(device, L * Math.ceil(N / 2) * 16, 'matches');
      temps.push(...state, ksum, knorm, matches);
      enc.copyBufferToBuffer(keys, 0, ksum, 0, L * N * Dk * 4);
      const groups = [0, 1].map((i) =>
        family.bind([params, keepBuf, state[1 - i]!, state[i]!, assign, ksum, knorm, matches]),
      );
      family.dispatch(enc, 'init', groups[0]!, tx, L); // writes state[0]
      const half = Math.ceil(Math.floor(N / 2) / WG) || 1;
      const aCount = Math.ceil(Math.ceil(N / 2) / WG);
      for (let r = 0; r < tomeRounds(N, budgets); r++) {
        // round r reads state[r % 2] and writes state[1 − r % 2]
        const g = groups[1 - (r % 2)]!;
        family.dispatch(enc, 'keyNorms', g, tx, L);
        family.dispatch(enc, 'matchPairs', g, half, L);
        family.dispatch(enc, 'choose', g, half, L);
        family.dispatch(enc, 'mergeKeys', g, aCount, L);
        family.dispatch(enc, 'reassign', g, tx, L);
        family.dispatch(enc, 'compact', g, tx, L);
      }
      temps.push(this.encodeNorms(enc, t, features, D, fnorm));
    } else {
      const family = this.family('prumerge', prumergeWgsl, [U, R, R, R, R, W, W, W, W], true, {
        keys: Dk,
      });
      const importance = t.importance
        ? keep(this.upload(t.importance, 'importance'))
        : keep(scratch(device, L * N * 4, 'importance'));
      if (!t.importance) temps.push(...this.encodeImportance(enc, t, keys, importance));
      const knorm = keep(scratch(device, L * N * 4, 'key norms'));
      temps.push(this.encodeNorms(enc, t, keys, Dk, knorm));
      const keptList = keep(scratch(device, L * N * 4, 'kept by rank'));
      const group = family.bind([
        params,
        keepBuf,
        importance,
        keys,
        knorm,
        assign,
        keptList,
        members,
        spans,
      ]);
      family.dispatch(enc, 'selectTop', group, tx, L);
      family.dispatch(enc, 'neighbours', group, Math.ceil(Math.max(1, ...budgets) / WG), L);
    }

    const layout = this.family('layout', layoutWgsl, [U, R, W, W, W, W]);
    const lg = layout.bind([params, assign, members, spans, frameRows, rows]);
    if (method === 1) layout.dispatch(enc, 'tokenMembers', lg, tx, L);
    layout.dispatch(enc, 'frameCounts', lg, Math.ceil(L / WG));
    layout.dispatch(enc, 'offsets', lg, 1);
    layout.dispatch(enc, 'place', lg, tx, L);

    const sepData = separators.embedding ?? new Float32Array(D);
    if (sepMode && sepData.length !== D) {
      throw new RangeError(`gather: separator embedding has width ${sepData.length}, tokens ${D}`);
    }
    const sep = keep(this.upload(sepMode ? sepData : new Float32Array(4), 'separator'));
    const gather = this.family('gather', gatherWgsl, [U, R, R, R, R, R, R, R, W], true, {
      features: D,
    });
    const rowGroups = Math.ceil(maxRows / WG);
    const x = Math.min(rowGroups, this.ctx.limits.maxComputeWorkgroupsPerDimension);
    gather.dispatch(
      enc,
      'gather',
      gather.bind([params, frameRows, rows, members, spans, features, fnorm, sep, out]),
      x,
      Math.ceil(rowGroups / x),
    );
    const owned = [assign, members, spans, frameRows, rows];
    return {
      features: out,
      frameRows,
      rows,
      assign,
      members,
      spans,
      maxRows,
      release(keepFeatures = false) {
        [...temps, ...owned].forEach((b) => b.destroy());
        if (!keepFeatures) out.destroy();
      },
    };
  }

  async reduce(
    t: FrameTokens,
    p: ReduceParams,
    separators?: { mode: SeparatorMode; embedding: Float32Array | null },
  ): Promise<Reduced> {
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
    this.families.clear();
  }
}

/** Read a reduction back: row count first, then exactly the rows and the provenance. */
export async function readReduced(
  device: GPUDevice,
  t: FrameTokens,
  p: ReduceParams,
  g: ReducedOnGpu,
): Promise<Reduced> {
  const { frames: L, tokens: N, dim: D } = t;
  const [fr] = await readbackMany(device, [{ buffer: g.frameRows, byteLength: (2 * L + 1) * 4 }]);
  const frameRows = new Uint32Array(fr!);
  const total = frameRows[2 * L]!;
  const M = Math.min(PRUMERGE_NEIGHBOURS, N - 1);
  const [rowsB, featB, assignB, membersB] = await readbackMany(device, [
    { buffer: g.rows, byteLength: total * 8 },
    { buffer: g.features, byteLength: total * D * 4 },
    { buffer: g.assign, byteLength: L * N * 8 },
    { buffer: g.members, byteLength: p.method === 'prumerge' ? L * N * M * 8 : 4 },
  ]);
  const rows = new Int32Array(rowsB!);
  const assign = new Int32Array(assignB!);
  const members = new Uint32Array(membersB!);
  const tomeGroups = new Map<number, number[]>();
  if (p.method === 'tome') {
    for (let i = 0; i < L * N; i++) {
      const rep = assign[2 * i]!;
      if (rep < 0) continue;
      const key = Math.floor(i / N) * N + rep;
      let list = tomeGroups.get(key);
      if (!list) tomeGroups.set(key, (list = []));
      list.push(i % N);
    }
  }
  const indices = new Int32Array(total);
  const frameOf = new Int32Array(total);
  const groups: number[][] = [];
  for (let r = 0; r < total; r++) {
    const src = rows[2 * r]!;
    frameOf[r] = rows[2 * r + 1]!;
    if (src < 0) {
      indices[r] = -1;
      groups.push([]);
      continue;
    }
    const u = src % N;
    indices[r] = u;
    if (p.method === 'tome') groups.push(tomeGroups.get(src)!);
    else if (p.method === 'prumerge') {
      const nbr = Array.from({ length: M }, (_, m) => members[2 * (src * M + m)]!);
      groups.push([u, ...nbr].sort((a, b) => a - b));
    } else groups.push([u]);
  }
  const keep = Array.from({ length: L }, (_, f) => {
    let n = 0;
    for (let r = frameRows[L + f]!; r < frameRows[L + f + 1]!; r++) if (indices[r]! >= 0) n++;
    return n;
  });
  return {
    keep,
    offsets: Array.from(frameRows.subarray(L, 2 * L + 1)),
    features: new Float32Array(featB!),
    indices,
    frameOf,
    groups,
  };
}
