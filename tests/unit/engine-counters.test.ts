// The engine's counters report GPU objects of the device in use, and asking for them never
// acquires a device (a page that only opened a video has made no GPU objects).
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.ts';
import type { GpuContext } from '../../src/gpu/device.ts';

describe('engine counters', () => {
  it('report no GPU objects and acquire no device before anything needed one', async () => {
    let acquired = 0;
    const engine = new Engine({
      acquireGpu: () => {
        acquired++;
        return Promise.reject(new Error('no WebGPU here'));
      },
      origin: 'http://localhost/',
    });
    const counters = await engine.counters();
    expect(counters.gpuObjects).toBeNull();
    expect(counters.visionEncodes).toBe(0);
    expect(acquired).toBe(0);
  });

  it('report null once an acquisition failed, without trying again', async () => {
    let acquired = 0;
    const engine = new Engine({
      acquireGpu: (): Promise<GpuContext> => {
        acquired++;
        return Promise.reject(new Error('no WebGPU here'));
      },
      origin: 'http://localhost/',
    });
    expect(await engine.device.resourcesOrNull()).toBeNull();
    expect(acquired).toBe(1);
    expect((await engine.counters()).gpuObjects).toBeNull();
    expect(acquired).toBe(1);
  });
});
