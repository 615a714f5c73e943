// How many frames go through a vision tower at once. Every tensor of a run is one GPU buffer bound
// whole to a shader, and the largest grows with the frames of the run: an unfused SigLIP-B/16 at
// 512 × 512 holds attention scores of heads × patches² × 4 bytes a frame (48 MiB), so 32 frames
// in one run want 1.5 GiB in one buffer. A chunk is as many frames as keep the largest per-frame
// tensor × frames within maxStorageBufferBindingSize and maxBufferSize; chunks are made even
// (32 frames under a 21-frame cap: two of 16). `too-large` only when one frame does not fit.
// Estimates count 4 bytes an element (f32), the larger of the variants.

import type { GpuLimits } from '../gpu/device.ts';
import { modelError } from '../models/errors.ts';
import type { EncoderSize } from '../models/manifest.ts';
import type { ImageSpec } from '../models/preprocess.ts';

/** The largest tensor one frame adds to a run, and what it is. */
export interface FrameTensor {
  readonly bytes: number;
  readonly what: string;
}

/** The largest per-frame tensor of a tower on `image` giving `tokens` × `dim` outputs. */
export function largestFrameTensor(
  image: Pick<ImageSpec, 'width' | 'height'>,
  output: { readonly tokens: number; readonly dim: number },
  encoder?: EncoderSize,
): FrameTensor {
  const f32 = 4;
  const candidates: FrameTensor[] = [
    { bytes: 3 * image.width * image.height * f32, what: 'pixel values' },
    { bytes: output.tokens * output.dim * f32, what: 'output features' },
  ];
  if (encoder) {
    const { patches, width, heads, mlp } = encoder;
    candidates.push({ bytes: patches * width * f32, what: 'activations' });
    if (mlp > 0) candidates.push({ bytes: patches * mlp * f32, what: 'MLP activations' });
    if (heads > 0 && encoder.attention === 'unfused') {
      candidates.push({
        bytes: heads * patches * patches * f32,
        what: `attention scores (${heads} heads × ${patches}² patches)`,
      });
    }
  }
  return candidates.reduce((a, b) => (b.bytes > a.bytes ? b : a));
}

export interface ChunkPlan {
  /** Frames per run (the last run may have fewer). */
  readonly size: number;
  readonly chunks: number;
  readonly frame: FrameTensor;
  /** The per-buffer limit planned against, and its name. */
  readonly limit: number;
  readonly limitName: string;
}

type Limits = Pick<GpuLimits, 'maxStorageBufferBindingSize' | 'maxBufferSize'>;

/**
 * Chunks for `frames` frames whose largest tensor is `frame` a frame, under `limits` (none: one
 * run). Throws `too-large` when one frame's tensor exceeds the limit.
 */
export function planChunks(
  frames: number,
  frame: FrameTensor,
  limits: Limits | null,
  model = 'The vision encoder',
): ChunkPlan {
  if (!limits) {
    return { size: Math.max(1, frames), chunks: 1, frame, limit: Infinity, limitName: 'none' };
  }
  const binding = limits.maxStorageBufferBindingSize;
  const limit = Math.min(binding, limits.maxBufferSize);
  const limitName =
    binding <= limits.maxBufferSize ? 'maxStorageBufferBindingSize' : 'maxBufferSize';
  if (frame.bytes > limit) {
    throw modelError(
      'too-large',
      `${model}: one frame's ${frame.what} needs ${mib(frame.bytes)}, over this GPU's ${limitName} (${mib(limit)})`,
    );
  }
  const most = Math.max(1, Math.floor(limit / frame.bytes));
  const chunks = Math.max(1, Math.ceil(frames / most));
  return { size: Math.ceil(Math.max(1, frames) / chunks), chunks, frame, limit, limitName };
}

/** [start, end) of each chunk of `plan` over `frames` frames. */
export function chunkRanges(frames: number, plan: Pick<ChunkPlan, 'size'>): [number, number][] {
  const out: [number, number][] = [];
  for (let at = 0; at < frames; at += plan.size) out.push([at, Math.min(frames, at + plan.size)]);
  return out;
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(bytes < 2 ** 20 ? 2 : 0)} MiB`;
}
