// Reading a GPU reduction back to the CPU: the row count first, then exactly the rows and the
// provenance (ToMe assignments, PruMerge neighbour lists) as the CPU reference reports them —
// with the kept features (`readReduced`) or without them (`readProvenance`, for a pipeline
// whose kept rows stay on the GPU). The only place the reduction waits on the GPU.

import { readbackMany } from '../../gpu/transfer.ts';
import type { ReducedOnGpu } from './chain.ts';
import { PRUMERGE_NEIGHBOURS } from '../reduce-cpu.ts';
import type { FrameTokens, ReduceParams, Reduced } from '../types.ts';

/** What a reduction kept, without the features: what the page draws. */
export type Provenance = Omit<Reduced, 'features'>;

/** Read a reduction back: row count first, then exactly the rows, features and provenance. */
export async function readReduced(
  device: GPUDevice,
  t: FrameTokens,
  p: ReduceParams,
  g: ReducedOnGpu,
): Promise<Reduced> {
  const { provenance, features } = await read(device, t, p, g, t.dim);
  return { ...provenance, features: features! };
}

/** Read only a reduction's provenance; the kept features stay in `g.features`. */
export async function readProvenance(
  device: GPUDevice,
  t: Pick<FrameTokens, 'frames' | 'tokens'>,
  p: Pick<ReduceParams, 'method'>,
  g: ReducedOnGpu,
): Promise<Provenance> {
  return (await read(device, t, p, g, null)).provenance;
}

async function read(
  device: GPUDevice,
  t: Pick<FrameTokens, 'frames' | 'tokens'>,
  p: Pick<ReduceParams, 'method'>,
  g: ReducedOnGpu,
  /** The features' width, to read them too; null to leave them on the GPU. */
  dim: number | null,
): Promise<{ provenance: Provenance; features: Float32Array | null }> {
  const { frames: L, tokens: N } = t;
  const [fr] = await readbackMany(device, [{ buffer: g.frameRows, byteLength: (2 * L + 1) * 4 }]);
  const frameRows = new Uint32Array(fr!);
  const total = frameRows[2 * L]!;
  const M = Math.min(PRUMERGE_NEIGHBOURS, N - 1);
  const [rowsB, assignB, membersB, featB] = await readbackMany(device, [
    { buffer: g.rows, byteLength: total * 8 },
    { buffer: g.assign, byteLength: p.method === 'tome' ? L * N * 8 : 4 },
    { buffer: g.members, byteLength: p.method === 'prumerge' ? L * N * M * 8 : 4 },
    ...(dim !== null ? [{ buffer: g.features, byteLength: total * dim * 4 }] : []),
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
    const u = src % N;
    indices[r] = u;
    if (p.method === 'tome') groups.push(tomeGroups.get(src)!);
    else if (p.method === 'prumerge') {
      const nbr = Array.from({ length: M }, (_, m) => members[2 * (src * M + m)]!);
      groups.push([u, ...nbr].sort((a, b) => a - b));
    } else groups.push([u]);
  }
  const keep = Array.from(frameRows.subarray(0, L));
  const offsets = Array.from(frameRows.subarray(L, 2 * L + 1));
  return {
    provenance: { keep, offsets, indices, frameOf, groups },
    features: featB ? new Float32Array(featB) : null,
  };
}
