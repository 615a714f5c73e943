// Uniform-buffer layouts and the numbers the kernels know the method's choices by, in one
// place. Each layout mirrors a WGSL struct field for field (ReduceParams: shaders/kvtp-common.wgsl
// `Params`; AllocParams: shaders/allocate.wgsl; ScoreParams: shaders/relevance.wgsl), each enum
// the WGSL constants of the same names; tests/unit/wgsl-structs.test.ts checks both.

import { uniformLayout } from '../../gpu/uniforms.ts';
import type { AllocationMode, PredictorHead, ReductionMethod } from '../types.ts';

export const ReduceParams = uniformLayout({
  frames: 'u32',
  tokens: 'u32',
  dim: 'u32',
  keyDim: 'u32',
  half: 'u32',
  neighbours: 'u32',
  method: 'u32',
  seed: 'u32',
  width: 'u32',
  split: 'u32',
  tiles: 'u32',
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

/** The reduction as ReduceParams' `method` knows it (kvtp-common.wgsl METHOD_*). */
export const KernelMethod = { Copy: 0, Tome: 1, PruMerge: 2 } as const;
export type KernelMethod = (typeof KernelMethod)[keyof typeof KernelMethod];

/** Each reduction method's kernels: `none` and `random` copy the rows they keep. */
export const KERNEL_METHOD: Readonly<Record<ReductionMethod, KernelMethod>> = {
  none: KernelMethod.Copy,
  random: KernelMethod.Copy,
  tome: KernelMethod.Tome,
  prumerge: KernelMethod.PruMerge,
};

/** Each allocation mode as AllocParams' `mode` knows it (allocate.wgsl MODE_*). */
export const AllocationModeCode = {
  paper: 0,
  exact: 1,
  uniform: 2,
  hard: 3,
} as const satisfies Record<AllocationMode, number>;

/** The relevance head as ScoreParams' `kind` knows it (relevance.wgsl HEAD_*). */
export const HeadKind = { Logit: 0, LearnedGelu: 1, LearnedRelu: 2 } as const;
export type HeadKind = (typeof HeadKind)[keyof typeof HeadKind];

export function headKind(head: PredictorHead): HeadKind {
  if (head.kind === 'logit') return HeadKind.Logit;
  return head.weights.activation === 'gelu' ? HeadKind.LearnedGelu : HeadKind.LearnedRelu;
}
