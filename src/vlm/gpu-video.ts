// A video's features on the WebGPU provider, without a CPU round trip for pixels or tokens:
// each sampled frame's ImageBitmap is copied to a texture (copyExternalImageToTexture), the WGSL
// preprocessing kernel (FramePreprocessor) writes every model's input tensor straight into a
// GPU buffer, the sessions read those buffers as GPU tensors, and the VLM's vision tokens stay
// in a GPU buffer we own (kept for every question about the video). Only the relevance model's
// frame embeddings ([L·E], small, once per video) come back to the CPU. Must not read pixels
// or vision tokens back.

import type { GpuContext } from '../gpu/device.ts';
import { TextureUsage } from '../gpu/usage.ts';
import type { Ort, OrtTensor } from '../models/ort.ts';
import { FramePreprocessor, planResize } from '../models/preprocess.ts';
import type { RelevanceModel } from '../models/relevance.ts';
import { inputType, outputType, readFloat32 } from '../models/dtype.ts';
import { gpuTensor, pipelinesFor, storageBuffer } from './gpu-tensors.ts';
import type { LoadedVlm, VideoFeatures } from './pipeline.ts';
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

/** Vision tokens (kept on the GPU) and relevance embeddings of `frames`, one batched run per model. */
export async function encodeVideoGpu(
  ort: Ort,
  vlm: LoadedVlm,
  relevance: RelevanceModel,
  frames: readonly BitmapFrame[],
  duration: number,
  gpu: GpuContext,
): Promise<VideoFeatures> {
  const { device } = gpu;
  const pipelines = pipelinesFor(device);
  const m = vlm.manifest;
  const L = frames.length;
  const { tokensPerFrame: N, grid, hidden: D } = m.vision;
  const textures = frames.map((f) => frameTexture(device, f.bitmap));
  const owned: GPUBuffer[] = [];
  try {
    const visionStart = performance.now();
    const { width: W, height: H } = m.image;
    const pre = new FramePreprocessor(device, pipelines, m.image);
    const pixels = storageBuffer(device, L * pre.imageBytes.pixels, 'pixel_values', gpu.limits);
    const mask = m.pixelMask
      ? storageBuffer(device, L * pre.imageBytes.mask, 'pixel_attention_mask', gpu.limits)
      : null;
    owned.push(pixels, ...(mask ? [mask] : []));
    const enc = device.createCommandEncoder({ label: 'preprocess frames' });
    textures.forEach((tex, i) => pre.encode(enc, tex, i, pixels, mask));
    device.queue.submit([enc.finish()]);
    pre.afterSubmit();
    const feeds: Record<string, OrtTensor> = {
      pixel_values: gpuTensor(ort, pixels, 'float32', [1, L, 3, H, W]),
    };
    if (mask) feeds.pixel_attention_mask = gpuTensor(ort, mask, 'bool', [1, L, H, W]);
    const out = await vlm.vision.run(feeds);
    const feats = out.image_features;
    if (!feats) throw vlmError('bad-output', 'The vision encoder has no output "image_features"');
    const tokens = storageBuffer(device, L * N * D * 4, 'vision tokens', gpu.limits);
    try {
      const count = feats.dims.reduce((a, b) => a * b, 1);
      if (count !== L * N * D) {
        throw vlmError(
          'bad-output',
          `The vision encoder gave ${count} values, expected ${L}×${N}×${D}`,
        );
      }
      if (feats.location === 'gpu-buffer') {
        const copy = device.createCommandEncoder({ label: 'vision tokens' });
        copy.copyBufferToBuffer(feats.gpuBuffer as GPUBuffer, 0, tokens, 0, L * N * D * 4);
        device.queue.submit([copy.finish()]);
      } else {
        // a session without GPU outputs: upload (CPU → GPU), never a readback
        device.queue.writeBuffer(tokens, 0, new Float32Array(await readFloat32(feats)));
      }
    } catch (e) {
      tokens.destroy();
      throw e;
    } finally {
      feats.dispose();
    }
    const visionMs = performance.now() - visionStart;

    const relevanceStart = performance.now();
    const r = relevance.manifest.image;
    const rPre = new FramePreprocessor(device, pipelines, r);
    const rPixels = storageBuffer(
      device,
      L * rPre.imageBytes.pixels,
      'relevance pixels',
      gpu.limits,
    );
    owned.push(rPixels);
    const rEnc = device.createCommandEncoder({ label: 'preprocess frames (relevance)' });
    textures.forEach((tex, i) => rPre.encode(rEnc, tex, i, rPixels, null));
    device.queue.submit([rEnc.finish()]);
    rPre.afterSubmit();
    const frameEmbeddings = await relevance
      .embedFrames(gpuTensor(ort, rPixels, 'float32', [L, 3, r.height, r.width]))
      .catch((e: unknown) => {
        tokens.destroy();
        throw e;
      });
    const relevanceMs = performance.now() - relevanceStart;
    const first = frames[0]!.bitmap;
    const fit = planResize(first.width, first.height, m.image).fit;
    return {
      times: frames.map((f) => f.t),
      duration,
      tokens: { frames: L, tokens: N, grid: [grid[0], grid[1]], dim: D, cpu: null, gpu: tokens },
      frameEmbeddings,
      imageFit: [fit[0] / W, fit[1] / H],
      timings: { visionMs, relevanceMs },
    };
  } finally {
    textures.forEach((t) => t.destroy());
    owned.forEach((b) => b.destroy());
  }
}
