// PruMerge on the GPU (shaders/prumerge.wgsl): importance unless given (importance.ts) or else
// the key norms (shaders/norms.wgsl), the top k_f of each frame, then each kept token's
// neighbours; gather.wgsl adds their weighted features. Dispatch sizes come from the host's
// budgets: the neighbour work list has ⌈k_f / 8⌉ tiles per frame.

import normsWgsl from '../../../shaders/norms.wgsl?raw';
import prumergeWgsl from '../../../shaders/prumerge.wgsl?raw';
import type { Chain } from './chain.ts';
import { encodeImportance } from './importance.ts';
import { grid2d, R, U, W, type KernelSpec } from './kernels.ts';
import { ReduceParams } from './layouts.ts';

const PRUMERGE: KernelSpec = {
  name: 'prumerge',
  code: prumergeWgsl,
  bindings: [U, R, R, R, R, W, W, W, W],
};
const NORMS: KernelSpec = { name: 'norms', code: normsWgsl, bindings: [U, R, W] };
const PRUMERGE_ROWS = 8; // prumerge.wgsl ROWS

/** Record PruMerge: importance (unless given), key norms, top-k, neighbours. */
export function encodePrumerge(c: Chain): void {
  const { kernels, encoder, tokens: t, kept, temps, wg } = c;
  const { frames: L, tokens: N, keyDim: Dk } = t;
  const importance = t.importance
    ? temps.upload(t.importance, 'importance')
    : temps.storage(L * N * 4, 'importance');
  const norms = temps.storage(L * N * 4, 'key norms');
  // computed importance brings the key norms from the same loads
  if (!t.importance) encodeImportance(c, { keys: c.keys, importance, norms });
  else encodeRowNorms(c, { rows: c.keys, norms, width: Dk });
  // budgets, then the first work-list tile of each frame
  const work = new Uint32Array(2 * L + 1);
  work.set(kept);
  let tiles = 0;
  kept.forEach((x, f) => {
    work[L + f] = tiles;
    tiles += Math.ceil(x / PRUMERGE_ROWS);
  });
  work[2 * L] = tiles;
  const keepWork = temps.upload(work, 'budgets and tiles');
  const params = temps.uniform(ReduceParams.pack({ ...c.values, tiles }), 'prumerge params');
  const family = kernels.family(PRUMERGE, { widths: { keys: Dk } });
  const keptList = temps.storage(L * N * 4, 'kept by rank');
  const group = family.bind([
    params,
    keepWork,
    importance,
    c.keys,
    norms,
    c.assign,
    keptList,
    c.members,
    c.spans,
  ]);
  family.dispatch(encoder, 'selectTop', group, Math.ceil(N / wg), L);
  if (tiles > 0) {
    const max = kernels.ctx.limits.maxComputeWorkgroupsPerDimension;
    const [x, y] = grid2d(Math.ceil(tiles / wg), max);
    family.dispatch(encoder, 'neighbours', group, x, y);
  }
}

/** Record the Euclidean norm of every [L·N] row of width `width` of `rows` into `norms`. */
function encodeRowNorms(
  c: Chain,
  b: { readonly rows: GPUBuffer; readonly norms: GPUBuffer; readonly width: number },
): void {
  const { kernels, tokens: t, wg } = c;
  const family = kernels.family(NORMS, { widths: { keys: b.width } });
  const params = c.temps.uniform(
    ReduceParams.pack({ ...c.values, width: b.width }),
    'norms params',
  );
  const groups = Math.ceil((t.frames * t.tokens) / wg);
  const [x, y] = grid2d(groups, kernels.ctx.limits.maxComputeWorkgroupsPerDimension);
  family.dispatch(c.encoder, 'rowNorms', family.bind([params, b.rows, b.norms]), x, y);
}
