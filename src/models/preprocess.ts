// Frame preprocessing for a model's image input: resize (keeping aspect, squashing, or shortest
// edge + centre crop), pad to the tensor's size, rescale, normalize, and the pixel mask. The GPU
// path (shaders/preprocess.wgsl) writes straight into the buffer the model reads — no canvas, no
// CPU round trip; the CPU path is its reference, tap for tap.

import shader from '../../shaders/preprocess.wgsl?raw';
import type { PipelineCache } from '../gpu/pipelines.ts';
import { uniformLayout } from '../gpu/uniforms.ts';
import { UNIFORM } from '../gpu/usage.ts';

/** How a model wants its images. */
export interface ImageSpec {
  /** Tensor width and height (the padded canvas). */
  readonly width: number;
  readonly height: number;
  /**
   * `longest`: scale so the longest edge fits the canvas, keep aspect, pad right/bottom;
   * `squash`: scale to exactly width × height; `shortest-crop`: scale the shortest edge to the
   * canvas and crop the centre.
   */
  readonly resize: 'longest' | 'squash' | 'shortest-crop';
  /** Whether a smaller frame may be enlarged (`longest` only; videos: usually not). */
  readonly upscale: boolean;
  /** Multiplier from 0–255 values, usually 1/255. */
  readonly rescale: number;
  readonly mean: readonly [number, number, number];
  readonly std: readonly [number, number, number];
}

export interface ResizePlan {
  /** Size of the resized image on the canvas (top-left aligned). */
  readonly fit: readonly [w: number, h: number];
  /** Source rectangle that is resized (all of it, except for shortest-crop). */
  readonly crop: { readonly x: number; readonly y: number; readonly w: number; readonly h: number };
  /** Box taps per output pixel (antialiasing when shrinking), 1–8 per axis. */
  readonly taps: readonly [x: number, y: number];
}

export function planResize(srcW: number, srcH: number, spec: ImageSpec): ResizePlan {
  let crop = { x: 0, y: 0, w: srcW, h: srcH };
  let fit: [number, number];
  if (spec.resize === 'squash') {
    fit = [spec.width, spec.height];
  } else if (spec.resize === 'shortest-crop') {
    const scale = Math.max(spec.width / srcW, spec.height / srcH);
    const w = spec.width / scale;
    const h = spec.height / scale;
    crop = { x: (srcW - w) / 2, y: (srcH - h) / 2, w, h };
    fit = [spec.width, spec.height];
  } else {
    let scale = Math.min(spec.width / srcW, spec.height / srcH);
    if (!spec.upscale) scale = Math.min(scale, 1);
    fit = [
      Math.min(spec.width, Math.max(1, Math.round(srcW * scale))),
      Math.min(spec.height, Math.max(1, Math.round(srcH * scale))),
    ];
  }
  const taps = [crop.w / fit[0], crop.h / fit[1]].map((s) =>
    Math.min(8, Math.max(1, Math.ceil(s - 1e-6))),
  ) as [number, number];
  return { fit, crop, taps };
}

/** The CPU reference: RGBA8 pixels of a frame → [3·H·W] normalized planes and [H·W] mask. */
export function preprocessFrameCpu(
  rgba: Uint8Array | Uint8ClampedArray,
  srcW: number,
  srcH: number,
  spec: ImageSpec,
): { pixels: Float32Array; mask: Uint8Array } {
  const { width: W, height: H } = spec;
  const plan = planResize(srcW, srcH, spec);
  const pixels = new Float32Array(3 * W * H);
  const mask = new Uint8Array(W * H);
  const texel = (x: number, y: number, c: number) => {
    const cx = Math.min(Math.max(x, 0), srcW - 1);
    const cy = Math.min(Math.max(y, 0), srcH - 1);
    return rgba[(cy * srcW + cx) * 4 + c]! / 255;
  };
  const bilinear = (px: number, py: number, c: number) => {
    const qx = px - 0.5;
    const qy = py - 0.5;
    const x0 = Math.floor(qx);
    const y0 = Math.floor(qy);
    const fx = qx - x0;
    const fy = qy - y0;
    const top = texel(x0, y0, c) * (1 - fx) + texel(x0 + 1, y0, c) * fx;
    const bottom = texel(x0, y0 + 1, c) * (1 - fx) + texel(x0 + 1, y0 + 1, c) * fx;
    return top * (1 - fy) + bottom * fy;
  };
  const [fw, fh] = plan.fit;
  const [tx, ty] = plan.taps;
  const sx = plan.crop.w / fw;
  const sy = plan.crop.h / fh;
  const pad = spec.mean.map((m, c) => (0 - m) / spec.std[c]!);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const at = y * W + x;
      if (x >= fw || y >= fh) {
        for (let c = 0; c < 3; c++) pixels[c * W * H + at] = pad[0]!;
        continue;
      }
      mask[at] = 1;
      const ox = plan.crop.x + x * sx;
      const oy = plan.crop.y + y * sy;
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        for (let j = 0; j < ty; j++) {
          for (let i = 0; i < tx; i++) {
            sum += bilinear(ox + ((i + 0.5) / tx) * sx, oy + ((j + 0.5) / ty) * sy, c);
          }
        }
        const v = (sum / (tx * ty)) * 255 * spec.rescale;
        pixels[c * W * H + at] = (v - spec.mean[c]!) / spec.std[c]!;
      }
    }
  }
  return { pixels, mask };
}

/** Mirrors shaders/preprocess.wgsl `Params` (tests/unit/wgsl-structs.test.ts checks it). */
export const PreprocessParams = uniformLayout({
  src_size: 'vec2u',
  out_size: 'vec2u',
  fit_size: 'vec2u',
  crop_origin: 'vec2f',
  crop_size: 'vec2f',
  taps: 'vec2u',
  image_offset: 'u32',
  mask_offset: 'u32',
  rescale: 'f32',
  pad_value: 'f32',
  mean: 'vec4f',
  inv_std: 'vec4f',
});

/**
 * Records the preprocessing of frames into a model's input buffers. `pixels` is the model's
 * [images, 3, H, W] f32 tensor buffer, `mask` its [images, H, W] bool (u8) buffer (or null).
 * Record any number of images, submit, then call `afterSubmit()`.
 */
export class FramePreprocessor {
  private readonly pending: GPUBuffer[] = [];

  constructor(
    private readonly device: GPUDevice,
    private readonly pipelines: PipelineCache,
    readonly spec: ImageSpec,
  ) {
    if ((spec.width * spec.height) % 4 !== 0) {
      throw new Error('preprocess: width·height must be a multiple of 4 (bool mask packing)');
    }
  }

  /** Bytes of one image in the pixel and mask tensors. */
  get imageBytes(): { pixels: number; mask: number } {
    const plane = this.spec.width * this.spec.height;
    return { pixels: 3 * plane * 4, mask: plane };
  }

  /** Record image `index` of the batch from `frame` (an rgba8unorm texture). */
  encode(
    encoder: GPUCommandEncoder,
    frame: GPUTexture,
    index: number,
    pixels: GPUBuffer,
    mask: GPUBuffer | null,
  ): void {
    const { spec, device } = this;
    const plan = planResize(frame.width, frame.height, spec);
    const plane = spec.width * spec.height;
    const uniforms = device.createBuffer({
      size: PreprocessParams.size,
      usage: UNIFORM,
      label: 'preprocess',
    });
    device.queue.writeBuffer(
      uniforms,
      0,
      PreprocessParams.pack({
        src_size: [frame.width, frame.height],
        out_size: [spec.width, spec.height],
        fit_size: plan.fit,
        crop_origin: [plan.crop.x, plan.crop.y],
        crop_size: [plan.crop.w, plan.crop.h],
        taps: plan.taps,
        image_offset: index * 3 * plane,
        mask_offset: (index * plane) / 4,
        rescale: spec.rescale,
        pad_value: (0 - spec.mean[0]) / spec.std[0],
        mean: [...spec.mean, 0],
        inv_std: [...spec.std.map((s) => 1 / s), 0],
      }),
    );
    const view = frame.createView();
    const pass = encoder.beginComputePass({ label: 'preprocess' });
    const main = this.pipelines.compute(shader, 'preprocess', {}, 'preprocess');
    pass.setPipeline(main);
    pass.setBindGroup(0, this.bindGroup(main, uniforms, view, pixels, mask ?? pixels, false));
    pass.dispatchWorkgroups(Math.ceil(spec.width / 8), Math.ceil(spec.height / 8));
    if (mask) {
      const maskPipeline = this.pipelines.compute(shader, 'pixel_mask', {}, 'pixel_mask');
      pass.setPipeline(maskPipeline);
      pass.setBindGroup(0, this.bindGroup(maskPipeline, uniforms, view, pixels, mask, true));
      pass.dispatchWorkgroups(Math.ceil(plane / 4 / 64));
    }
    pass.end();
    this.pending.push(uniforms);
  }

  /** Call after submitting the encoder(s): frees this batch's uniforms once the GPU is done. */
  afterSubmit(): void {
    const done = this.pending.splice(0);
    void this.device.queue.onSubmittedWorkDone().then(() => done.forEach((b) => b.destroy()));
  }

  private bindGroup(
    pipeline: GPUComputePipeline,
    uniforms: GPUBuffer,
    view: GPUTextureView,
    pixels: GPUBuffer,
    mask: GPUBuffer,
    maskOnly: boolean,
  ): GPUBindGroup {
    // `layout: 'auto'` keeps only the bindings an entry point uses.
    const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: uniforms } }];
    if (maskOnly) entries.push({ binding: 3, resource: { buffer: mask } });
    else {
      entries.push({ binding: 1, resource: view }, { binding: 2, resource: { buffer: pixels } });
    }
    return this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
  }
}
