// The engine's GPU device and the GPU objects that live exactly as long as it: acquired on first
// use, acquired again after a loss (the old device's objects are dropped with it, never reused).
// The KVTP kernels (GpuKvtp: kernel families, shader modules, pipelines) and their buffer pool are
// made once per device here and shared by every question; nothing per question is made here.

import { BufferPool } from '../gpu/buffers.ts';
import type { GpuContext } from '../gpu/device.ts';
import type { GpuError } from '../gpu/errors.ts';
import { GpuKvtp } from '../kvtp/gpu/index.ts';

/** A device and what the engine keeps on it. */
export interface DeviceResources {
  readonly ctx: GpuContext;
  /** The KVTP kernels of this device, reductions drawing their buffers from `pool`. */
  readonly kvtp: GpuKvtp;
  readonly pool: BufferPool;
}

export class DeviceSlot {
  private current: Promise<DeviceResources> | null = null;
  private lastLoss: GpuError | null = null;

  constructor(private readonly acquire: () => Promise<GpuContext>) {}

  /** The device's resources, acquired on first use and again after a loss. */
  resources(): Promise<DeviceResources> {
    if (!this.current) {
      const pending = this.acquire().then((ctx) => {
        const pool = new BufferPool(ctx);
        return { ctx, pool, kvtp: new GpuKvtp(ctx, { pool }) };
      });
      this.current = pending;
      pending.then(
        (r) =>
          void r.ctx.lost.then((e) => {
            this.lastLoss = e;
            if (this.current === pending) this.current = null;
            r.kvtp.dispose();
          }),
        () => {
          if (this.current === pending) this.current = null;
        },
      );
    }
    return this.current;
  }

  /** The device's GPU context (acquired as `resources` does). */
  async context(): Promise<GpuContext> {
    return (await this.resources()).ctx;
  }

  /** The resources, or null when WebGPU is not available (`onFailure` hears why). */
  async resourcesOrNull(onFailure?: (reason: unknown) => void): Promise<DeviceResources | null> {
    try {
      return await this.resources();
    } catch (e) {
      onFailure?.(e);
      return null;
    }
  }

  /** The resources already acquired (or being acquired), never acquiring them; else null. */
  async acquired(): Promise<DeviceResources | null> {
    if (!this.current) return null;
    try {
      return await this.current;
    } catch {
      return null;
    }
  }

  /** Why the last device was lost, once (null when none was lost since the last call). */
  takeLoss(): GpuError | null {
    const e = this.lastLoss;
    this.lastLoss = null;
    return e;
  }
}
