// Frame preprocessing: the WGSL kernel against its CPU reference on real textures (Dawn on
// SwiftShader), over resize modes, aspect ratios, odd sizes, upscaling and padding.
// Tolerance: 2e-5 absolute on normalized values in [-1, 1] (f32 rounding of the same taps).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { nodeGpu } from '../../cli/node-gpu.ts';
import {
  acquireGpu,
  PipelineCache,
  readbackMany,
  STORAGE,
  TextureUsage,
  type GpuContext,
} from '../../src/gpu/index.ts';
import {
  FramePreprocessor,
  planResize,
  preprocessFrameCpu,
  type ImageSpec,
} from '../../src/models/preprocess.ts';

let ctx: GpuContext;
let pipelines: PipelineCache;
beforeAll(async () => {
  ctx = await acquireGpu(await nodeGpu());
  pipelines = new PipelineCache(ctx.device);
});
afterAll(() => ctx?.device.destroy());
afterEach(() => expect(ctx.takeErrors(), 'uncaptured WebGPU errors').toEqual([]));

const siglip: ImageSpec = {
  width: 24,
  height: 24,
  resize: 'squash',
  upscale: true,
  rescale: 1 / 255,
  mean: [0.5, 0.5, 0.5],
  std: [0.5, 0.5, 0.5],
};
const smol: ImageSpec = { ...siglip, width: 32, height: 32, resize: 'longest', upscale: false };
const clip: ImageSpec = {
  ...siglip,
  width: 20,
  height: 20,
  resize: 'shortest-crop',
  mean: [0.4815, 0.4578, 0.4082],
  std: [0.2686, 0.2613, 0.2758],
};

function frame(w: number, h: number, seed: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(w * h * 4);
  let s = seed >>> 0;
  for (let i = 0; i < out.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (i & 3) === 3 ? 255 : s >>> 24;
  }
  return out;
}

async function runGpu(
  frames: { w: number; h: number; data: Uint8Array<ArrayBuffer> }[],
  spec: ImageSpec,
) {
  const pre = new FramePreprocessor(ctx.device, pipelines, spec);
  const { pixels: pb, mask: mb } = pre.imageBytes;
  const pixels = ctx.device.createBuffer({ size: pb * frames.length, usage: STORAGE });
  const mask = ctx.device.createBuffer({ size: mb * frames.length, usage: STORAGE });
  const encoder = ctx.device.createCommandEncoder();
  const textures = frames.map((f, i) => {
    const tex = ctx.device.createTexture({
      size: [f.w, f.h],
      format: 'rgba8unorm',
      usage: TextureUsage.TEXTURE_BINDING | TextureUsage.COPY_DST,
    });
    ctx.device.queue.writeTexture({ texture: tex }, f.data, { bytesPerRow: f.w * 4 }, [f.w, f.h]);
    pre.encode(encoder, tex, i, pixels, mask);
    return tex;
  });
  ctx.device.queue.submit([encoder.finish()]);
  pre.afterSubmit();
  const [p, m] = await readbackMany(ctx.device, [{ buffer: pixels }, { buffer: mask }]);
  textures.forEach((t) => t.destroy());
  pixels.destroy();
  mask.destroy();
  return { pixels: new Float32Array(p!), mask: new Uint8Array(m!) };
}

describe('planResize', () => {
  it('keeps aspect and never upscales video frames in longest mode', () => {
    expect(planResize(1920, 1080, { ...smol, width: 512, height: 512 }).fit).toEqual([512, 288]);
    expect(planResize(300, 200, { ...smol, width: 512, height: 512 }).fit).toEqual([300, 200]);
    expect(planResize(300, 200, { ...smol, width: 512, height: 512, upscale: true }).fit).toEqual([
      512, 341,
    ]);
    expect(planResize(1920, 1080, { ...smol, width: 512, height: 512 }).taps).toEqual([4, 4]);
  });
  it('crops the centre in shortest-crop mode', () => {
    const p = planResize(400, 200, { ...clip, width: 100, height: 100 });
    expect(p.fit).toEqual([100, 100]);
    expect(p.crop).toEqual({ x: 100, y: 0, w: 200, h: 200 });
  });
});

describe('preprocess kernel vs CPU reference', () => {
  const cases: [string, ImageSpec, number, number][] = [
    ['squash, shrink 64×48 → 24×24', siglip, 64, 48],
    ['squash, enlarge 7×5 → 24×24', siglip, 7, 5],
    ['squash, 1×1 source', siglip, 1, 1],
    ['longest, landscape shrink 100×37', smol, 100, 37],
    ['longest, portrait odd 13×61', smol, 13, 61],
    ['longest, small frame is not enlarged 17×9', smol, 17, 9],
    ['longest, exact fit 32×32', smol, 32, 32],
    ['shortest-crop, 53×31', clip, 53, 31],
  ];
  for (const [name, spec, w, h] of cases) {
    it(name, async () => {
      const data = frame(w, h, w * 31 + h);
      const cpu = preprocessFrameCpu(data, w, h, spec);
      const gpu = await runGpu([{ w, h, data }], spec);
      let worst = 0;
      for (let i = 0; i < cpu.pixels.length; i++) {
        worst = Math.max(worst, Math.abs(cpu.pixels[i]! - gpu.pixels[i]!));
      }
      expect(worst, `${name}: max |gpu − cpu|`).toBeLessThan(2e-5);
      expect(Array.from(gpu.mask), `${name}: mask`).toEqual(Array.from(cpu.mask));
    });
  }

  it('writes each frame of a batch at its own offset', async () => {
    const frames = [
      { w: 40, h: 30, data: frame(40, 30, 1) },
      { w: 30, h: 40, data: frame(30, 40, 2) },
      { w: 9, h: 9, data: frame(9, 9, 3) },
    ];
    const gpu = await runGpu(frames, smol);
    const plane = smol.width * smol.height;
    frames.forEach((f, i) => {
      const cpu = preprocessFrameCpu(f.data, f.w, f.h, smol);
      const got = gpu.pixels.subarray(i * 3 * plane, (i + 1) * 3 * plane);
      const worst = cpu.pixels.reduce((m, v, j) => Math.max(m, Math.abs(v - got[j]!)), 0);
      expect(worst, `frame ${i}`).toBeLessThan(2e-5);
      expect(Array.from(gpu.mask.subarray(i * plane, (i + 1) * plane))).toEqual(
        Array.from(cpu.mask),
      );
    });
  });

  it('normalizes a known colour exactly and pads with the normalized zero', () => {
    const red = new Uint8Array([255, 0, 0, 255]);
    const { pixels, mask } = preprocessFrameCpu(red, 1, 1, { ...smol, width: 4, height: 4 });
    expect([pixels[0], pixels[16], pixels[32]]).toEqual([1, -1, -1]); // (v − 0.5) / 0.5
    expect(pixels[1]).toBe(-1); // padding: (0 − 0.5) / 0.5
    expect(Array.from(mask)).toEqual([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });
});
