// Uniform-buffer layouts of the KVTP kernels, in one place: each mirrors a WGSL struct field for
// field (ReduceParams: shaders/kvtp-common.wgsl `Params`; AllocParams: shaders/allocate.wgsl;
// ScoreParams: shaders/relevance.wgsl).

import { uniformLayout } from '../../gpu/uniforms.ts';

export const ReduceParams = uniformLayout({
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
  split: 'u32',
  knownLayout: 'u32',
  tiles: 'u32',
  pad: 'u32',
});

export type ReduceParamValues = Parameters<typeof ReduceParams.pack>[0];

export const AllocParams = uniformLayout({
  frames: 'u32',
  tokens: 'u32',
  mode: 'u32',
  total: 'u32',
  minPerFrame: 'u32',
  uniformKeep: 'u32',
  keepRatio: 'f32',
  temperature: 'f32',
  snap: 'f32',
  tomePaper: 'u32',
});

export const ScoreParams = uniformLayout({
  frames: 'u32',
  windows: 'u32',
  dim: 'u32',
  hidden: 'u32',
  kind: 'u32',
  scale: 'f32',
  bias: 'f32',
  b2: 'f32',
});

/** The reduction as the kernels' `method` parameter knows it (kvtp-common.wgsl's Params). */
export const KernelMethod = { Copy: 0, Tome: 1, PruMerge: 2 } as const;
export type KernelMethod = (typeof KernelMethod)[keyof typeof KernelMethod];
