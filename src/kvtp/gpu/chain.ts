// The reduction's dispatch chain on the GPU, all frames at once and no readback: what every
// method shares — the buffers, the layout (layout.wgsl) and the gathered rows (gather.wgsl) —
// around each method's own selection or merging (random.ts, tome.ts, prumerge.ts). Everything
// the host knows from the budgets is decided here: every method keeps exactly k_f tokens of
// frame f (N for `none`), so the output is sized to Σ k_f and the frame offsets are uploaded
// rather than computed. Semantics are those of the CPU reference (reduce-cpu.ts).

import gatherWgsl from '../../../shaders/gather.wgsl?raw';
import layoutWgsl from '../../../shaders/layout.wgsl?raw';
import type { BufferPool } from '../../gpu/buffers.ts';
import { checkReduce, checkTokens, PRUMERGE_NEIGHBOURS } from '../reduce-cpu.ts';
import type { FrameTokens, ReduceParams as Budgets, Rows } from '../types.ts';
import {
  ChainBuffers,
  grid2d,
  R,
  U,
  W,
  type KernelSpec,
  type Kernels,
  type Recording,
} from './kernels.ts';
import { KERNEL_METHOD, KernelMethod, ReduceParams, type ReduceParamValues } from './layouts.ts';
import { encodePrumerge } from './prumerge.ts';
import { encodeCopy } from './random.ts';
import { encodeTome } from './tome.ts';

/** The GPU buffers of a reduction, for callers that keep the kept tokens on the GPU. */
export interface ReducedOnGpu {
  /** [maxRows·D] gathered rows; the first `rows` are valid once the work is done. */
  readonly features: GPUBuffer;
  /** [2L + 1] u32: rows per frame, then offsets (the last one is the row count). */
  readonly frameRows: GPUBuffer;
  /** [maxRows] (frame·N + token, frame) per row. */
  readonly rows: GPUBuffer;
  /** [L·N] (.x: representative or −1). */
  readonly assign: GPUBuffer;
  /** PruMerge neighbour lists ([L·N·M] by kept token) and per-token spans. */
  readonly members: GPUBuffer;
  readonly spans: GPUBuffer;
  /** Rows `features` holds: Σ k_f (at least 1). */
  readonly maxRows: number;
  /**
   * Free (or give back to the pool) every buffer of this reduction once its work is submitted;
   * with `keepFeatures` the caller keeps `features` until it calls `releaseFeatures`.
   */
  release(keepFeatures?: boolean): void;
  /** Give the kept `features` back (to the pool the chain took them from, else destroyed). */
  releaseFeatures(): void;
}

/** One reduction being recorded: its budgets and the buffers the methods share. */
export interface Chain extends Recording {
  /** k_f, at most N. */
  readonly kept: readonly number[];
  /** The ReduceParams uniform of the chain (`values`). */
  readonly base: GPUBuffer;
  /** [L] k_f. */
  readonly keepBuf: GPUBuffer;
  readonly features: GPUBuffer;
  readonly keys: GPUBuffer;
  readonly assign: GPUBuffer;
  readonly members: GPUBuffer;
  readonly spans: GPUBuffer;
  readonly values: ReduceParamValues;
}

export interface ReduceChainOptions {
  readonly kernels: Kernels;
  readonly encoder: GPUCommandEncoder;
  readonly tokens: FrameTokens<Rows>;
  readonly budgets: Budgets;
  /** Where the chain's buffers come from (null: made fresh). */
  readonly pool: BufferPool | null;
  readonly wg: number;
}

const LAYOUT: KernelSpec = { name: 'layout', code: layoutWgsl, bindings: [U, R, R, W] };
const GATHER: KernelSpec = {
  name: 'gather',
  code: gatherWgsl,
  bindings: [U, R, R, R, R, R, W],
};
const GATHER_CHUNK = 64; // gather.wgsl CHUNK

/** Record the whole reduction into `options.encoder`; see ReducedOnGpu. */
export function encodeReduceChain(options: ReduceChainOptions): ReducedOnGpu {
  const { kernels, encoder: enc, tokens: t, budgets: p, pool, wg } = options;
  checkTokens(t);
  checkReduce(t, p);
  const { ctx } = kernels;
  const { frames: L, tokens: N, dim: D, keyDim: Dk } = t;
  if (L > ctx.limits.maxComputeWorkgroupsPerDimension) {
    throw new RangeError(
      `reduce: at most ${ctx.limits.maxComputeWorkgroupsPerDimension} frames per dispatch, got ${L}`,
    );
  }
  const bufs = new ChainBuffers(ctx, pool);
  const temps = new ChainBuffers(ctx, pool); // released with the chain, never handed out
  try {
    const method = KERNEL_METHOD[p.method];
    const kept = p.method === 'none' ? Array<number>(L).fill(N) : p.keep.map((x) => Math.min(x, N));
    const maxRows = Math.max(1, sum(kept));
    const M = Math.min(PRUMERGE_NEIGHBOURS, N - 1);
    // rows in GPU buffers the caller owns are read in place, rows on the CPU uploaded
    const onGpu = (x: Rows, label: string) =>
      x instanceof Float32Array ? temps.upload(x, label) : x.buffer;
    const features = onGpu(t.features, 'features');
    const keys = t.keys ? onGpu(t.keys, 'keys') : features;

    const frameRows = bufs.upload(hostFrameRows(kept), 'frame rows');
    const assign = bufs.storage(L * N * 8, 'assign');
    const members = bufs.storage(
      L * N * Math.max(1, method === KernelMethod.PruMerge ? M : 1) * 8,
      'members',
    );
    const spans = bufs.storage(L * N * 8, 'spans');
    const rows = bufs.storage(maxRows * 8, 'rows');
    const out = bufs.storage(maxRows * D * 4, 'gathered');
    const values: ReduceParamValues = {
      frames: L,
      tokens: N,
      dim: D,
      keyDim: Dk,
      half: Math.ceil(N / 2),
      neighbours: M,
      method,
      seed: (p.seed ?? 0) >>> 0,
      width: D,
      split: 1,
      tiles: 0,
    };
    const base = temps.uniform(ReduceParams.pack(values), 'kvtp params');
    const keepBuf = temps.upload(Uint32Array.from(kept), 'budgets');
    let source = features; // the rows gather copies from (ToMe: its merged values)
    const chain: Chain = {
      kernels,
      encoder: enc,
      tokens: t,
      kept,
      base,
      keepBuf,
      features,
      keys,
      assign,
      members,
      spans,
      temps,
      values,
      wg,
    };

    if (method === KernelMethod.Copy) {
      encodeCopy(chain, { frameRows, rows, out });
    } else if (method === KernelMethod.Tome) {
      source = encodeTome(chain);
    } else {
      encodePrumerge(chain);
    }

    if (method !== KernelMethod.Copy) {
      const layout = kernels.family(LAYOUT);
      const lg = layout.bind([base, assign, frameRows, rows]);
      layout.dispatch(enc, 'place', lg, Math.ceil(L / wg));
      const gather = kernels.family(GATHER, { widths: { features: D } });
      const gg = gather.bind([base, frameRows, rows, members, spans, source, out]);
      const vecs = D % 4 === 0 ? D / 4 : D;
      const [x, y] = grid2d(
        Math.ceil((maxRows * Math.ceil(vecs / GATHER_CHUNK)) / wg),
        ctx.limits.maxComputeWorkgroupsPerDimension,
      );
      gather.dispatch(enc, 'gather', gg, x, y);
    }
    let released = false;
    return {
      features: out,
      frameRows,
      rows,
      assign,
      members,
      spans,
      maxRows,
      release(keepFeatures = false) {
        if (released) return;
        released = true;
        if (keepFeatures) bufs.handOver(out);
        temps.release();
        bufs.release();
      },
      releaseFeatures() {
        if (pool) pool.release(out);
        else out.destroy();
      },
    };
  } catch (e) {
    temps.release();
    bufs.release();
    throw e;
  }
}

function sum(xs: readonly number[]): number {
  return xs.reduce((a, x) => a + x, 0);
}

/** [2L + 1]: rows per frame, then offsets. */
function hostFrameRows(kept: readonly number[]): Uint32Array {
  const L = kept.length;
  const out = new Uint32Array(2 * L + 1);
  let at = 0;
  kept.forEach((x, f) => {
    out[f] = x;
    out[L + f] = at;
    at += out[f]!;
  });
  out[2 * L] = at;
  return out;
}
