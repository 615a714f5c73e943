// `random` and `none` on the GPU (shaders/random.wgsl): one workgroup per frame ranks its
// tokens by a seeded hash, keeps the k_f first (all N for `none`) in grid order, and writes
// their rows and features straight to the gathered output at the frame offsets the host computed
// (no layout or gather pass).

import randomWgsl from '../../../shaders/random.wgsl?raw';
import type { Chain } from './chain.ts';
import { R, U, W, type KernelSpec } from './kernels.ts';

const RANDOM: KernelSpec = {
  name: 'random',
  code: randomWgsl,
  bindings: [U, R, R, R, W, W, W],
};

export interface CopyBuffers {
  /** [2L + 1] rows per frame, then offsets (from the budgets, on the host). */
  readonly frameRows: GPUBuffer;
  /** Out: each gathered row's source (frame·N + token, frame). */
  readonly rows: GPUBuffer;
  /** Out: the gathered features. */
  readonly out: GPUBuffer;
}

/** Record the random (or `none`) selection of every frame and the copy of its kept rows. */
export function encodeCopy(c: Chain, b: CopyBuffers): void {
  const { kernels, encoder, tokens: t, wg } = c;
  const { frames: L, tokens: N, dim: D } = t;
  // a workgroup per frame as wide as the rank loop needs (eight tokens per invocation):
  // every invocation of a workgroup with barriers has a cost on a CPU-emulated GPU
  const width = Math.min(wg, Math.max(16, 2 ** Math.ceil(Math.log2(Math.ceil(N / 8)))));
  const family = kernels.family(RANDOM, { widths: { features: D }, overrides: { WG: width } });
  const group = family.bind([c.base, c.keepBuf, b.frameRows, c.features, c.assign, b.rows, b.out]);
  family.dispatch(encoder, 'randomReduce', group, L);
}
