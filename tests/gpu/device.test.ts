// The GPU layer on a real device (Dawn on SwiftShader): device acquisition with the adapter's
// limits, pipeline cache, buffer pool reuse, upload/readback, and typed errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeGpu } from '../../cli/node-gpu.ts';
import {
  acquireGpu,
  BufferPool,
  bindBuffers,
  bucketSize,
  checkStorageSize,
  GpuError,
  lostError,
  PipelineCache,
  readback,
  readbackMany,
  upload,
  uniformLayout,
  UNIFORM,
  workgroups,
  type GpuContext,
} from '../../src/gpu/index.ts';

const axpy = /* wgsl */ `
struct Params { n: u32, a: f32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
override WG: u32 = 64;
@compute @workgroup_size(WG) fn main(@builtin(global_invocation_id) g: vec3u) {
  if (g.x < params.n) { y[g.x] = params.a * x[g.x] + y[g.x]; }
}`;

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await acquireGpu(await nodeGpu());
});
afterAll(() => ctx?.device.destroy());

describe('acquireGpu', () => {
  it('asks for the adapter’s real limits, not the defaults', () => {
    // Defaults are 128 MiB / 256 MiB; SwiftShader offers 1 GiB.
    expect(ctx.limits.maxStorageBufferBindingSize).toBeGreaterThan(128 * 1024 * 1024);
    expect(ctx.limits.maxBufferSize).toBeGreaterThan(256 * 1024 * 1024);
    expect(ctx.hasF16).toBe(ctx.device.features.has('shader-f16'));
  });

  it('fails with a typed error when there is no WebGPU', async () => {
    const err = await acquireGpu(undefined).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GpuError);
    expect((err as GpuError).code).toBe('no-webgpu');
  });

  it('fails with no-adapter when the GPU offers none', async () => {
    const fake = { requestAdapter: async () => null } as unknown as GPU;
    const err = await acquireGpu(fake).catch((e: unknown) => e);
    expect((err as GpuError).code).toBe('no-adapter');
  });

  it('does not report our own destroy() as a lost device', async () => {
    const other = await acquireGpu(await nodeGpu());
    const lost = Promise.race([
      other.lost,
      new Promise((r) => setTimeout(() => r('pending'), 300)),
    ]);
    other.device.destroy();
    expect(await lost).toBe('pending');
  });

  it('reports any other loss as a device-lost error a person can read', () => {
    const err = lostError({ reason: 'unknown', message: 'driver reset' } as GPUDeviceLostInfo);
    expect(err).toBeInstanceOf(GpuError);
    expect((err as GpuError).code).toBe('device-lost');
    expect((err as GpuError).message).toMatch(/driver reset/);
    expect((err as GpuError).message).toMatch(/conversation are kept/);
  });

  it('collects uncaptured errors (an invalid shader) for tests to assert on', async () => {
    ctx.device.createShaderModule({ code: 'fn broken( {' });
    await ctx.device.queue.onSubmittedWorkDone();
    await new Promise((r) => setTimeout(r, 50));
    const errors = ctx.takeErrors();
    expect(errors.length).toBeGreaterThan(0);
    expect(ctx.takeErrors()).toEqual([]);
  });

  it('refuses buffers larger than the device binds', () => {
    expect(() => checkStorageSize(ctx, ctx.limits.maxStorageBufferBindingSize + 4, 'x')).toThrow(
      /binds at most/,
    );
  });
});

describe('pipelines, pool and transfers', () => {
  const Params = uniformLayout({ n: 'u32', a: 'f32' });

  async function runAxpy(n: number, a: number, wg: number, cache: PipelineCache, pool: BufferPool) {
    const x = Float32Array.from({ length: n }, (_, i) => i);
    const y0 = Float32Array.from({ length: n }, (_, i) => 1 - i / 2);
    const xb = upload(ctx, x);
    const yb = pool.acquire(n * 4);
    ctx.device.queue.writeBuffer(yb, 0, y0);
    const ub = upload(ctx, new Uint8Array(Params.pack({ n, a })), UNIFORM);
    const pipeline = cache.compute(axpy, 'main', { WG: wg });
    const enc = ctx.device.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindBuffers(ctx.device, pipeline, [ub, xb, yb]));
    pass.dispatchWorkgroups(workgroups(n, wg));
    pass.end();
    ctx.device.queue.submit([enc.finish()]);
    const out = new Float32Array(await readback(ctx.device, yb, n * 4));
    pool.release(yb);
    xb.destroy();
    ub.destroy();
    return { out, expected: x.map((v, i) => a * v + y0[i]!) };
  }

  for (const [n, wg] of [
    [1, 64],
    [63, 64],
    [64, 64],
    [65, 64],
    [1000, 32],
    [4097, 256],
  ] as const) {
    it(`axpy n=${n} workgroup=${wg} matches the CPU exactly`, async () => {
      const cache = new PipelineCache(ctx.device);
      const pool = new BufferPool(ctx);
      const { out, expected } = await runAxpy(n, 2.5, wg, cache, pool);
      expect(Array.from(out)).toEqual(Array.from(expected));
    });
  }

  it('compiles a pipeline once per (code, entry, constants) and reuses pool buffers', async () => {
    const cache = new PipelineCache(ctx.device);
    const pool = new BufferPool(ctx);
    await runAxpy(100, 1, 64, cache, pool);
    const bytes = pool.allocatedBytes;
    await runAxpy(100, 3, 64, cache, pool);
    await runAxpy(90, 3, 64, cache, pool); // same bucket
    expect(cache.size).toBe(1);
    expect(pool.allocatedBytes).toBe(bytes);
    await runAxpy(100, 1, 32, cache, pool);
    expect(cache.size).toBe(2);
  });

  it('reads several ranges back in one submit', async () => {
    const a = upload(ctx, new Uint32Array([1, 2, 3, 4]));
    const b = upload(ctx, new Float32Array([0.5, -0.5]));
    const [ra, rb] = await readbackMany(ctx.device, [
      { buffer: a, offset: 4, byteLength: 8 },
      { buffer: b },
    ]);
    expect(Array.from(new Uint32Array(ra!))).toEqual([2, 3]);
    expect(Array.from(new Float32Array(rb!))).toEqual([0.5, -0.5]);
  });

  it('buckets sizes so that near sizes share buffers', () => {
    expect(bucketSize(1)).toBe(256);
    expect(bucketSize(256)).toBe(256);
    expect(bucketSize(257)).toBe(512);
    expect(bucketSize(1 << 20)).toBe(1 << 20);
    expect(bucketSize((1 << 20) + 1)).toBe((1 << 20) + (1 << 18));
  });
});
