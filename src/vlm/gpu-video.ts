// A video's features on the WebGPU provider, without a CPU round trip for pixels or tokens:
// each sampled frame's ImageBitmap is copied to a texture (copyExternalImageToTexture), the WGSL
// preprocessing kernel (FramePreprocessor) writes every model's input tensor straight into a
// GPU buffer, a chunk of frames at a time (sized to the device's limits: encode-plan.ts), the
// sessions read those buffers as GPU tensors, and the VLM's vision tokens stay in a GPU buffer
// we own (kept for every question about the video). Only the relevance model's
// frame embeddings ([L·E], small, once per video) come back to the CPU. Must not read pixels
// or vision tokens back.

import type { GpuContext } from '../gpu/device.ts';
import { TextureUsage } from '../gpu/usage.ts';
import type { Ort, OrtTensor } from '../models/ort.ts';
import { FramePreprocessor, planResize } from '../models/preprocess.ts';
import type { RelevanceModel } from '../models/relevance.ts';
import { inputType, outputType, readFloat32 } from '../models/dtype.ts';
import { gpuTensor, pipelinesFor, storageBuffer } from './gpu-tensors.ts';
import { chunkRanges } from './encode-plan.ts';
import { encodePlans, type EncodeOptions, type LoadedVlm, type VideoFeatures } from './pipeline.ts';
import { vlmError } from './errors.ts';

export interface BitmapFrame {
  readonly t: number;
  readonly bitmap: ImageBitmap;
}

/**
 * Whether this VLM's tensors are f32 where the GPU path hands over buffers (our kernels write
 * f32): pixel values, vision tokens, token embeddings. Otherwise the CPU path is used.
 */
export function gpuPathFits(vlm: LoadedVlm): boolean {
  const { embed, decoder } = vlm.decoder.sessions;
  return (
    vlm.provider === 'webgpu' &&
    vlm.decoder.gpu !== null &&
    inputType(vlm.vision, 'pixel_values') === 'float32' &&
    outputType(vlm.vision, 'image_features') === 'float32' &&
    outputType(embed, 'inputs_embeds') === 'float32' &&
    inputType(decoder, 'inputs_embeds') === 'float32'
  );
}

function frameTexture(device: GPUDevice, bitmap: ImageBitmap): GPUTexture {
  const size = [bitmap.width, bitmap.height];
  const texture = device.createTexture({
    label: 'frame',
    size,
    format: 'rgba8unorm',
    usage: TextureUsage.TEXTURE_BINDING | TextureUsage.COPY_DST | TextureUsage.RENDER_ATTACHMENT,
  });
  device.queue.copyExternalImageToTexture({ source: bitmap }, { texture }, size);
  return texture;
}

/**
 * Vision tokens (kept on the GPU) and relevance embeddings of `frames`, each model run in chunks
 * sized to the device's limits (encode-plan.ts), progress after each chunk.
 */
export async function encodeVideoGpu(
  ort: Ort,
  vlm: LoadedVlm,
  relevance: RelevanceModel,
  frames: readonly BitmapFrame[],
  duration: number,
  gpu: GpuContext,
  options: Pick<EncodeOptions, 'onChunk' | 'signal'> = {},
): Promise<VideoFeatures> {
  const textures = frames.map((f) => ({ t: f.t, texture: frameTexture(gpu.device, f.bitmap) }));
  try {
    return await encodeTexturesGpu(ort, vlm, relevance, textures, duration, gpu, options);
  } finally {
    textures.forEach((f) => f.texture.destroy());
  }
}

/** A frame already on the GPU: an rgba8unorm texture. */
export interface TextureFrame {
  readonly t: number;
  readonly texture: GPUTexture;
}

/** `encodeVideoGpu` from frames already in textures (which stay the caller's). */
export async function encodeTexturesGpu(
  ort: Ort,
  vlm: LoadedVlm,
  relevance: RelevanceModel,
  frames: readonly TextureFrame[],
  duration: number,
  gpu: GpuContext,
  options: Pick<EncodeOptions, 'onChunk' | 'signal'> = {},
): Promise<VideoFeatures> {
  const { device } = gpu;
  const pipelines = pipelinesFor(device);
  const m = vlm.manifest;
  const L = frames.length;
  const plans = encodePlans(vlm, relevance, L, gpu.limits);
  const { tokensPerFrame: N, grid, hidden: D } = m.vision;
  const owned: GPUBuffer[] = [];
  const tokens = storageBuffer(device, L * N * D * 4, 'vision tokens', gpu.limits);
  try {
    const visionStart = performance.now();
    const { width: W, height: H } = m.image;
    const pre = new FramePreprocessor(device, pipelines, m.image);
    const most = plans.vision.size;
    const pixels = storageBuffer(device, most * pre.imageBytes.pixels, 'pixel_values', gpu.limits);
    const mask = m.pixelMask
      ? storageBuffer(device, most * pre.imageBytes.mask, 'pixel_attention_mask', gpu.limits)
      : null;
    owned.push(pixels, ...(mask ? [mask] : []));
    for (const [a, b] of chunkRanges(L, plans.vision)) {
      options.signal?.throwIfAborted();
      const n = b - a;
      const enc = device.createCommandEncoder({ label: 'preprocess frames' });
      frames.slice(a, b).forEach((f, i) => pre.encode(enc, f.texture, i, pixels, mask));
      device.queue.submit([enc.finish()]);
      pre.afterSubmit();
      const feeds: Record<string, OrtTensor> = {
        pixel_values: gpuTensor(ort, pixels, 'float32', [1, n, 3, H, W]),
      };
      if (mask) feeds.pixel_attention_mask = gpuTensor(ort, mask, 'bool', [1, n, H, W]);
      const out = await vlm.vision.run(feeds);
      const feats = out.image_features;
      if (!feats) throw vlmError('bad-output', 'The vision encoder has no output "image_features"');
      try {
        const count = feats.dims.reduce((x, y) => x * y, 1);
        if (count !== n * N * D) {
          throw vlmError(
            'bad-output',
            `The vision encoder gave ${count} values, expected ${n}×${N}×${D}`,
          );
        }
        const bytes = n * N * D * 4;
        if (feats.location === 'gpu-buffer') {
          const copy = device.createCommandEncoder({ label: 'vision tokens' });
          copy.copyBufferToBuffer(feats.gpuBuffer as GPUBuffer, 0, tokens, a * N * D * 4, bytes);
          device.queue.submit([copy.finish()]);
        } else {
          // a session without GPU outputs: upload (CPU → GPU), never a readback
          const values = new Float32Array(await readFloat32(feats));
          device.queue.writeBuffer(tokens, a * N * D * 4, values);
        }
      } finally {
        feats.dispose();
      }
      options.onChunk?.('vision', b, L);
    }
    const visionMs = performance.now() - visionStart;

    const relevanceStart = performance.now();
    const r = relevance.manifest.image;
    const E = relevance.manifest.embedDim;
    const rPre = new FramePreprocessor(device, pipelines, r);
    const rPixels = storageBuffer(
      device,
      plans.relevance.size * rPre.imageBytes.pixels,
      'relevance pixels',
      gpu.limits,
    );
    owned.push(rPixels);
    const frameEmbeddings = new Float32Array(L * E);
    for (const [a, b] of chunkRanges(L, plans.relevance)) {
      options.signal?.throwIfAborted();
      const rEnc = device.createCommandEncoder({ label: 'preprocess frames (relevance)' });
      frames.slice(a, b).forEach((f, i) => rPre.encode(rEnc, f.texture, i, rPixels, null));
      device.queue.submit([rEnc.finish()]);
      rPre.afterSubmit();
      const part = await relevance.embedFrames(
        gpuTensor(ort, rPixels, 'float32', [b - a, 3, r.height, r.width]),
      );
      frameEmbeddings.set(part, a * E);
      options.onChunk?.('relevance', b, L);
    }
    const relevanceMs = performance.now() - relevanceStart;
    const first = frames[0]!.texture;
    const fit = planResize(first.width, first.height, m.image).fit;
    return {
      times: frames.map((f) => f.t),
      duration,
      tokens: { frames: L, tokens: N, grid: [grid[0], grid[1]], dim: D, cpu: null, gpu: tokens },
      frameEmbeddings,
      imageFit: [fit[0] / W, fit[1] / H],
      timings: { visionMs, relevanceMs },
    };
  } catch (e) {
    tokens.destroy();
    throw e;
  } finally {
    owned.forEach((buf) => buf.destroy());
  }
}
