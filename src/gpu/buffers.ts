// A pool of storage buffers for transient kernel data: buffers are bucketed by usage and by size
// (rounded up to an eighth of the next power of two, at least 256 bytes), released back after
// use and reused, so a repeated dispatch chain allocates nothing after its first run.

import { countGpuObject } from './counters.ts';
import { checkStorageSize, type GpuContext } from './device.ts';
import { STORAGE } from './usage.ts';

export class BufferPool {
  private readonly free = new Map<string, GPUBuffer[]>();
  private readonly sizes = new WeakMap<GPUBuffer, string>();
  private allocated = 0;

  constructor(private readonly ctx: Pick<GpuContext, 'device' | 'limits'>) {}

  /** A buffer of at least `bytes` with `usage`; its contents are undefined. */
  acquire(bytes: number, usage: GPUBufferUsageFlags = STORAGE, what = 'buffer'): GPUBuffer {
    checkStorageSize(this.ctx, bytes, what);
    const size = bucketSize(bytes);
    const key = `${usage}:${size}`;
    const reuse = this.free.get(key)?.pop();
    if (reuse) return reuse;
    const buffer = this.ctx.device.createBuffer({ size, usage, label: `pool:${what}` });
    countGpuObject(this.ctx.device, 'pooledBuffers');
    this.sizes.set(buffer, key);
    this.allocated += size;
    return buffer;
  }

  /** Give buffers back for reuse. Buffers not made by this pool are destroyed. */
  release(...buffers: GPUBuffer[]): void {
    for (const b of buffers) {
      const key = this.sizes.get(b);
      if (!key) {
        b.destroy();
        continue;
      }
      let list = this.free.get(key);
      if (!list) this.free.set(key, (list = []));
      list.push(b);
    }
  }

  /** Bytes ever allocated by this pool (a repeated workload should not grow it). */
  get allocatedBytes(): number {
    return this.allocated;
  }

  /** Destroy every free buffer. Buffers still acquired stay alive until released. */
  trim(): void {
    for (const list of this.free.values()) {
      for (const b of list) {
        this.allocated -= b.size;
        b.destroy();
      }
    }
    this.free.clear();
  }
}

/** Size of the bucket that holds `bytes`: a multiple of 1/8 of the next power of two, ≥ 256. */
export function bucketSize(bytes: number): number {
  let pow = 256;
  while (pow < bytes) pow *= 2;
  const step = Math.max(256, pow / 8);
  return Math.max(256, Math.ceil(bytes / step) * step);
}
