// The compute path of the pipeline, chosen once for a device and a loaded VLM: where the video's
// vision tokens, the kept tokens and the prompt's embeddings live. `gpu`: frames preprocessed by
// WGSL into the sessions' GPU inputs, vision tokens in a GPU buffer, the reduction reading them
// there and leaving the kept rows on the GPU for the splice (gpu-video.ts, kept-gpu.ts,
// embeds-gpu.ts). `cpu`: the same steps on CPU tensors (wasm models, or a model whose tensors
// are not f32), the KVTP kernels on the GPU where there is one. Callers never ask which path
// they are on; they call it.

import type { GpuContext } from '../gpu/device.ts';
import type { GpuKvtp } from '../kvtp/gpu/index.ts';
import type { KvtpBackend, ReduceParams } from '../kvtp/types.ts';
import type { Ort } from '../models/ort.ts';
import type { RelevanceModel } from '../models/relevance.ts';
import { encodeVideoGpu, type BitmapFrame } from './gpu-video.ts';
import { reduceOnGpu } from './kept-gpu.ts';
import {
  encodeVideo,
  frameTokens,
  type EncodeOptions,
  type Kept,
  type LoadedVlm,
  type RgbaFrame,
  type VideoFeatures,
  type VisionTokens,
} from './pipeline.ts';
import { vlmError } from './errors.ts';

/** How an encoding is followed: stopped by `signal`, reported after each chunk of frames. */
export type EncodeProgress = Pick<EncodeOptions, 'onChunk' | 'signal'>;

/** Per-tensor bounds for encoding on ONNX Runtime's wasm backend (a 4 GiB address space). */
export const WASM_LIMITS = { maxStorageBufferBindingSize: 2 ** 29, maxBufferSize: 2 ** 29 };

export interface ComputePath {
  /** Where vision tokens, kept tokens and prompt embeddings live. */
  readonly kind: 'gpu' | 'cpu';
  /** Scores and allocation run here (and, on the CPU path, the reduction). */
  readonly kvtp: KvtpBackend;
  /** The video's features: vision tokens where this path keeps them, relevance embeddings. */
  encode(
    ort: Ort,
    vlm: LoadedVlm,
    relevance: RelevanceModel,
    frames: readonly BitmapFrame[],
    duration: number,
    options?: EncodeProgress,
  ): Promise<VideoFeatures>;
  /** The tokens reduced to `params`' budgets: provenance on the CPU, kept rows on this path. */
  reduce(tokens: VisionTokens, params: ReduceParams): Promise<Kept>;
}

/** Tokens, kept rows and embeddings on `kvtp`'s device, shared with ONNX Runtime. */
export function gpuPath(kvtp: GpuKvtp): ComputePath {
  const gpu: GpuContext = kvtp.ctx;
  return {
    kind: 'gpu',
    kvtp,
    async encode(ort, vlm, relevance, frames, duration, options = {}) {
      return encodeVideoGpu(ort, vlm, relevance, frames, duration, gpu, options);
    },
    async reduce(t, params) {
      if (!t.gpu) throw vlmError('no-gpu', 'The GPU path was given vision tokens on the CPU');
      const g = await reduceOnGpu(kvtp, { ...t, buffer: t.gpu }, params);
      return { provenance: g.provenance, features: null, gpu: g, release: () => g.release() };
    },
  };
}

/**
 * CPU tensors throughout; `kvtp` is the GPU driver where there is a device (it uploads the
 * tokens) or the CPU reference. `pixels` reads a frame's RGBA pixels (a canvas in the browser);
 * without it the path only selects and reduces (callers that hold pixels use encodeVideo).
 */
export function cpuPath(
  kvtp: KvtpBackend,
  pixels?: (frame: BitmapFrame) => RgbaFrame,
): ComputePath {
  return {
    kind: 'cpu',
    kvtp,
    async encode(ort, vlm, relevance, frames, duration, options = {}) {
      if (!pixels) throw vlmError('no-pixels', 'This compute path cannot read frame pixels');
      options.signal?.throwIfAborted();
      // chunks sized as if to a GPU with 512 MiB buffers: one run of SigLIP-B/16 at 512 over 32
      // frames needs over 1.5 GiB for one layer's attention scores, past what wasm32 allocates
      return encodeVideo(ort, vlm, relevance, frames.map(pixels), duration, {
        ...options,
        limits: WASM_LIMITS,
      });
    },
    async reduce(t, params) {
      if (!t.cpu) throw vlmError('no-gpu', 'The CPU path was given vision tokens on the GPU');
      const r = await kvtp.reduce(frameTokens(t, t.cpu), params);
      return { provenance: r, features: r.features, gpu: null, release: () => {} };
    },
  };
}
