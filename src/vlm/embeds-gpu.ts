// The decoder's input embeddings assembled on the GPU: the prompt's token embeddings (the
// embed_tokens model's GPU output) copied into a buffer we own, the kept vision tokens spliced
// into their placeholder rows by shaders/splice.wgsl, and, for chunked prefill, each chunk's rows
// copied into a buffer of its own (ORT tensors view a buffer from its start). All of it is
// GPU-to-GPU; nothing here reads back to the CPU.

import type { PipelineCache } from '../gpu/pipelines.ts';
import { encodeSplice } from './splice.ts';
import { storageBuffer } from './gpu-tensors.ts';

/** [rows·dim] f32 embeddings in a buffer this object owns. */
export interface EmbedsOnGpu {
  readonly kind: 'gpu-embeds';
  readonly buffer: GPUBuffer;
  readonly rows: number;
  readonly dim: number;
  release(): void;
}

export function isGpuEmbeds(x: unknown): x is EmbedsOnGpu {
  return (x as EmbedsOnGpu | null)?.kind === 'gpu-embeds';
}

export function embedsOnGpu(buffer: GPUBuffer, rows: number, dim: number): EmbedsOnGpu {
  return { kind: 'gpu-embeds', buffer, rows, dim, release: () => buffer.destroy() };
}

/**
 * Copy `text` (the prompt's token embeddings, [rows·dim] f32 at the start of the buffer) into a
 * new buffer and splice `kept` (the first `positions.length` rows of the reduction's output)
 * into rows `positions`.
 */
export function spliceOnGpu(
  device: GPUDevice,
  pipelines: PipelineCache,
  text: GPUBuffer,
  rows: number,
  dim: number,
  kept: GPUBuffer,
  positions: Uint32Array,
): EmbedsOnGpu {
  const bytes = rows * dim * 4;
  const out = storageBuffer(device, bytes, 'prompt embeddings');
  const enc = device.createCommandEncoder({ label: 'prompt embeddings' });
  enc.copyBufferToBuffer(text, 0, out, 0, bytes);
  const temps = encodeSplice(device, pipelines, enc, out, kept, positions, dim);
  device.queue.submit([enc.finish()]);
  temps.forEach((b) => b.destroy()); // after submit: the queued work keeps what it uses
  return embedsOnGpu(out, rows, dim);
}

/** Rows [from, from + count) of `e` in a buffer of their own (one prefill chunk). */
export function chunkOnGpu(
  device: GPUDevice,
  e: Pick<EmbedsOnGpu, 'buffer' | 'dim'>,
  from: number,
  count: number,
  bytesPerValue = 4,
): GPUBuffer {
  const row = e.dim * bytesPerValue;
  const out = storageBuffer(device, count * row, 'prefill chunk');
  const enc = device.createCommandEncoder({ label: 'prefill chunk' });
  enc.copyBufferToBuffer(e.buffer, from * row, out, 0, count * row);
  device.queue.submit([enc.finish()]);
  return out;
}
