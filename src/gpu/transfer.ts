// Upload to and read back from GPU buffers. Readback is the only place the app waits on the GPU;
// callers must keep it out of dispatch chains (read back once, at the end).

import { checkStorageSize, type GpuContext } from './device.ts';
import { BufferUsage, MapMode, STORAGE } from './usage.ts';

/** A new buffer holding `data` (usage defaults to storage + copy). */
export function upload(
  ctx: Pick<GpuContext, 'device' | 'limits'>,
  data: ArrayBufferView,
  usage: number = STORAGE,
  label = 'upload',
): GPUBuffer {
  const size = Math.max(4, align(data.byteLength, 4));
  checkStorageSize(ctx, size, label);
  const buffer = ctx.device.createBuffer({ size, usage, mappedAtCreation: true, label });
  new Uint8Array(buffer.getMappedRange()).set(
    new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  );
  buffer.unmap();
  return buffer;
}

/** Write `data` into `buffer` at `offset` through the queue. */
export function write(device: GPUDevice, buffer: GPUBuffer, data: ArrayBufferView, offset = 0) {
  const bytes = new Uint8Array(data.buffer as ArrayBuffer, data.byteOffset, data.byteLength);
  const padded = bytes.byteLength % 4 === 0 ? bytes : padTo4(bytes);
  device.queue.writeBuffer(buffer, offset, padded);
}

/** Copy `byteLength` bytes of `buffer` from `offset` to the CPU. */
export async function readback(
  device: GPUDevice,
  buffer: GPUBuffer,
  byteLength = buffer.size,
  offset = 0,
): Promise<ArrayBuffer> {
  const [out] = await readbackMany(device, [{ buffer, byteLength, offset }]);
  return out!;
}

/** Read several buffer ranges back with one submit and one wait. */
export async function readbackMany(
  device: GPUDevice,
  ranges: readonly { buffer: GPUBuffer; byteLength?: number; offset?: number }[],
): Promise<ArrayBuffer[]> {
  const encoder = device.createCommandEncoder({ label: 'readback' });
  const staging = ranges.map(({ buffer, byteLength = buffer.size, offset = 0 }) => {
    const size = align(byteLength, 4);
    const s = device.createBuffer({
      size: Math.max(4, size),
      usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST,
      label: 'staging',
    });
    if (size > 0) encoder.copyBufferToBuffer(buffer, offset, s, 0, size);
    return { s, byteLength };
  });
  device.queue.submit([encoder.finish()]);
  return Promise.all(
    staging.map(async ({ s, byteLength }) => {
      await s.mapAsync(MapMode.READ);
      const copy = s.getMappedRange().slice(0, byteLength);
      s.unmap();
      s.destroy();
      return copy;
    }),
  );
}

export function align(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}

function padTo4(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(align(bytes.byteLength, 4));
  out.set(bytes);
  return out;
}
