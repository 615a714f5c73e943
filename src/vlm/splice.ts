// Placing kept vision tokens into the prompt's embeddings: each frame's image placeholders were
// shrunk to the tokens it kept, so kept row j (time order, grid order) goes to the j-th
// placeholder position. GPU: one dispatch (shaders/splice.wgsl); CPU: its reference.

import shader from '../../shaders/splice.wgsl?raw';
import type { PipelineCache } from '../gpu/pipelines.ts';
import { bindBuffers } from '../gpu/pipelines.ts';
import { upload } from '../gpu/transfer.ts';
import { uniformLayout } from '../gpu/uniforms.ts';
import { STORAGE, UNIFORM } from '../gpu/usage.ts';

/** Positions of `tokenId` in `ids`, in order: where the kept tokens go. */
export function placeholderPositions(
  ids: ArrayLike<number | bigint>,
  tokenId: number,
): Uint32Array {
  const out: number[] = [];
  for (let i = 0; i < ids.length; i++) if (Number(ids[i]) === tokenId) out.push(i);
  return Uint32Array.from(out);
}

/** CPU reference: write row j of `kept` [rows·dim] at row positions[j] of `embeds` [seq·dim]. */
export function spliceCpu(
  embeds: Float32Array,
  kept: Float32Array,
  positions: Uint32Array,
  dim: number,
): void {
  if (kept.length !== positions.length * dim) {
    throw new Error(`splice: ${kept.length / dim} kept rows for ${positions.length} placeholders`);
  }
  positions.forEach((p, j) => embeds.set(kept.subarray(j * dim, (j + 1) * dim), p * dim));
}

/** Mirrors shaders/splice.wgsl `Params` (tests/unit/wgsl-structs.test.ts checks it). */
export const SpliceParams = uniformLayout({ rows: 'u32', dim: 'u32' });

/**
 * Record the splice into `encoder`: `kept` [rows·dim] → rows `positions` of `embeds`. Returns the
 * small buffers it made (uniforms, positions), to destroy after the work is done.
 */
export function encodeSplice(
  device: GPUDevice,
  pipelines: PipelineCache,
  encoder: GPUCommandEncoder,
  embeds: GPUBuffer,
  kept: GPUBuffer,
  positions: Uint32Array,
  dim: number,
): GPUBuffer[] {
  const rows = positions.length;
  if (rows === 0) return [];
  const ctx = { device, limits: device.limits };
  const uniforms = upload(ctx, new Uint8Array(SpliceParams.pack({ rows, dim })), UNIFORM, 'splice');
  const pos = upload(ctx, positions, STORAGE, 'splice positions');
  const wg = 64;
  const pipeline = pipelines.compute(shader, 'splice', { WG: wg }, 'splice');
  const pass = encoder.beginComputePass({ label: 'splice' });
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindBuffers(device, pipeline, [uniforms, kept, pos, embeds]));
  const maxPerDim = device.limits.maxComputeWorkgroupsPerDimension;
  const y = Math.min(rows, maxPerDim);
  pass.dispatchWorkgroups(Math.ceil(dim / wg), y, Math.ceil(rows / y));
  pass.end();
  return [uniforms, pos];
}
