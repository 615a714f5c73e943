// The KVTP reduction on vision tokens that are already on the GPU (the vision encoder's output),
// for the WebGPU pipeline: one dispatch chain (GpuKvtp.encodeReduce), then only the provenance
// is read back — rows per frame, each row's source, ToMe assignments, PruMerge neighbours — to
// draw the kept groups. The kept features stay in their GPU buffer for the splice; this module
// must never read them back (src/kvtp/gpu/read.ts reads the provenance alone).

import type { GpuKvtp } from '../kvtp/gpu/index.ts';
import { readProvenance, type Provenance } from '../kvtp/gpu/index.ts';
import type { FrameTokens, ReduceParams, Rows } from '../kvtp/types.ts';

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
  const shape: FrameTokens<Rows> = {
    frames: t.frames,
    tokens: t.tokens,
    grid: [t.grid[0], t.grid[1]],
    dim: t.dim,
    features: { kind: 'gpu-rows', buffer: t.buffer, rows: t.frames * t.tokens, width: t.dim },
    keyDim: t.dim,
    keys: null,
    importance: null,
  };
  const enc = device.createCommandEncoder({ label: 'reduce on gpu' });
  const g = kvtp.encodeReduce(enc, shape, p);
  device.queue.submit([enc.finish()]);
  try {
    const provenance = await readProvenance(device, shape, p, g);
    const rows = provenance.offsets[t.frames]!;
    return { provenance, buffer: g.features, rows, release: () => g.releaseFeatures() };
  } catch (e) {
    g.releaseFeatures();
    throw e;
  } finally {
    g.release(true); // everything but the kept rows
  }
}
