// PruMerge's importance without CLS attention on the GPU (shaders/importance.wgsl): the mean
// key of each frame, every token's logit against it (with its key norm from the same loads), a
// softmax per frame. Recorded alone (GpuKvtp.importance) or inside PruMerge's chain.

import importanceWgsl from '../../../shaders/importance.wgsl?raw';
import type { FrameTokens, Rows } from '../types.ts';
import { R, U, W, type KernelSpec, type Recording } from './kernels.ts';
import { KernelMethod, ReduceParams } from './layouts.ts';

const IMPORTANCE: KernelSpec = {
  name: 'importance',
  code: importanceWgsl,
  bindings: [U, R, W, W, W],
};

export interface ImportanceBuffers {
  /** [L·N·Dk] the keys. */
  readonly keys: GPUBuffer;
  /** [L·N] out: softmax_j(⟨mean key, k_j⟩ / √Dk) per frame. */
  readonly importance: GPUBuffer;
  /** [L·N] out: each key's Euclidean norm. */
  readonly norms: GPUBuffer;
}

/** Record the importance of every token of `r.tokens` and its key norm. */
export function encodeImportance(r: Recording, b: ImportanceBuffers): void {
  const { kernels, encoder, tokens: t, temps, wg } = r;
  const family = kernels.family(IMPORTANCE, { widths: { keys: t.keyDim } });
  const params = temps.uniform(shapeParams(t), 'importance params');
  const mean = temps.storage(t.frames * t.keyDim * 4, 'mean keys');
  const group = family.bind([params, b.keys, mean, b.importance, b.norms]);
  family.dispatch(encoder, 'meanKeys', group, Math.ceil(t.keyDim / wg), t.frames); // (over-covers vec4 widths)
  family.dispatch(encoder, 'logits', group, Math.ceil(t.tokens / wg), t.frames);
  family.dispatch(encoder, 'softmax', group, 1, t.frames);
}

/** Params of a recording that only needs the shape. */
function shapeParams(t: FrameTokens<Rows>): ArrayBuffer {
  return ReduceParams.pack({
    frames: t.frames,
    tokens: t.tokens,
    dim: t.dim,
    keyDim: t.keyDim,
    half: Math.ceil(t.tokens / 2),
    neighbours: 0,
    method: KernelMethod.Copy,
    seed: 0,
    width: t.keyDim,
    split: 1,
    tiles: 0,
  });
}
