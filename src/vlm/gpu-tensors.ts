// Small helpers for handing GPU buffers to ONNX Runtime and back: element types from a session's
// metadata, buffers we own for model inputs and outputs, ORT tensors that view them (no copy),
// and GPU-side copies. Nothing here reads a buffer back to the CPU.

import { checkStorageSize, type GpuLimits } from '../gpu/device.ts';
import { PipelineCache } from '../gpu/pipelines.ts';
import { STORAGE } from '../gpu/usage.ts';
import type { Ort, OrtTensor } from '../models/ort.ts';

/** Element types the pipeline passes as GPU tensors. */
export type GpuDtype = 'float32' | 'float16' | 'bool' | 'int64';

/** A storage buffer of at least `bytes` (4-byte aligned) that kernels and ORT may read and write. */
export function storageBuffer(
  device: GPUDevice,
  bytes: number,
  label: string,
  limits: Pick<GpuLimits, 'maxStorageBufferBindingSize' | 'maxBufferSize'> = device.limits,
): GPUBuffer {
  const size = Math.max(4, Math.ceil(bytes / 4) * 4);
  checkStorageSize({ limits: limits as GpuLimits }, size, label);
  return device.createBuffer({ size, usage: STORAGE, label });
}

/** An ORT tensor viewing `buffer` (its first elements) with `dims`; ORT does not own the buffer. */
export function gpuTensor(
  ort: Ort,
  buffer: GPUBuffer,
  dtype: GpuDtype,
  dims: readonly number[],
): OrtTensor {
  return ort.Tensor.fromGpuBuffer(buffer, { dataType: dtype, dims });
}

/** The GPU buffer behind an ORT tensor that lives on the GPU (throws otherwise). */
export function bufferOf(t: OrtTensor, what: string): GPUBuffer {
  if (t.location !== 'gpu-buffer') {
    throw new Error(`${what} is on the ${t.location}, expected a GPU buffer`);
  }
  return t.gpuBuffer as GPUBuffer;
}

const caches = new WeakMap<GPUDevice, PipelineCache>();

/** One pipeline cache per device for the VLM's own kernels (splice, preprocessing). */
export function pipelinesFor(device: GPUDevice): PipelineCache {
  let c = caches.get(device);
  if (!c) caches.set(device, (c = new PipelineCache(device)));
  return c;
}
