// The KVTP reduction on vision tokens that are already on the GPU (the vision encoder's output),
// for the WebGPU pipeline: one dispatch chain (GpuKvtp.encodeReduce), then only the provenance
// is read back — rows per frame, each row's source, ToMe assignments, PruMerge neighbours — to
// draw the kept groups. The kept features stay in their GPU buffer for the splice; this module
// must never read them back. Provenance decoding is that of src/kvtp/gpu.ts (readReduced),
// without the features.

import { readbackMany } from '../gpu/transfer.ts';
import type { GpuKvtp, ReducedOnGpu } from '../kvtp/gpu.ts';
import { PRUMERGE_NEIGHBOURS } from '../kvtp/reduce-cpu.ts';
import type { FrameTokens, ReduceParams, Reduced } from '../kvtp/types.ts';
import { featuresOnGpu } from './gpu-tensors.ts';

/** What a reduction kept, as the page draws it (no features). */
export type Provenance = Omit<Reduced, 'features'>;

/** Vision tokens [L·N·D] f32 in a GPU buffer, with their shape. */
export interface TokensOnGpu {
  readonly frames: number;
  readonly tokens: number;
  readonly grid: readonly [number, number];
  readonly dim: number;
  readonly buffer: GPUBuffer;
}

export interface KeptOnGpu {
  readonly provenance: Provenance;
  /** [rows·D] kept rows in time and grid order (the buffer may be larger). */
  readonly buffer: GPUBuffer;
  readonly rows: number;
  /** Free the reduction's buffers, the kept rows included. */
  release(): void;
}

/** Reduce `t` on the GPU to the budgets of `p`; reads back the provenance only. */
export async function reduceOnGpu(
  kvtp: GpuKvtp,
  t: TokensOnGpu,
  p: ReduceParams,
): Promise<KeptOnGpu> {
  const { device } = kvtp.ctx;
  const shape: FrameTokens = {
    frames: t.frames,
    tokens: t.tokens,
    grid: [t.grid[0], t.grid[1]],
    dim: t.dim,
    features: featuresOnGpu(t.frames * t.tokens * t.dim),
    keyDim: t.dim,
    keys: null,
    importance: null,
  };
  const enc = device.createCommandEncoder({ label: 'reduce on gpu' });
  const g = kvtp.encodeReduce(enc, shape, p, undefined, { features: t.buffer, keys: null });
  device.queue.submit([enc.finish()]);
  try {
    const provenance = await readProvenance(device, shape, p, g);
    const rows = provenance.offsets[t.frames]!;
    return { provenance, buffer: g.features, rows, release: () => g.features.destroy() };
  } catch (e) {
    g.features.destroy();
    throw e;
  } finally {
    g.release(true); // everything but the kept rows
  }
}

/** Read a GPU reduction's provenance: the row count first, then exactly the rows' sources. */
export async function readProvenance(
  device: GPUDevice,
  t: Pick<FrameTokens, 'frames' | 'tokens'>,
  p: Pick<ReduceParams, 'method'>,
  g: ReducedOnGpu,
): Promise<Provenance> {
  const { frames: L, tokens: N } = t;
  const [fr] = await readbackMany(device, [{ buffer: g.frameRows, byteLength: (2 * L + 1) * 4 }]);
  const frameRows = new Uint32Array(fr!);
  const total = frameRows[2 * L]!;
  const M = Math.min(PRUMERGE_NEIGHBOURS, N - 1);
  const [rowsB, assignB, membersB] = await readbackMany(device, [
    { buffer: g.rows, byteLength: total * 8 },
    { buffer: g.assign, byteLength: p.method === 'tome' ? L * N * 8 : 4 },
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
  return { keep, offsets: Array.from(frameRows.subarray(L, 2 * L + 1)), indices, frameOf, groups };
}
