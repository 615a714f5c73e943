// One question about one video, end to end: the video's features (vision encoder and relevance
// embeddings, computed once per video and reused), then per question the KVTP selection
// (scores → allocation → reduction, src/kvtp) and the answer (prompt with each frame's kept
// tokens, splice, prefill, decode). Two paths with the same steps: on the WebGPU provider the
// vision tokens, the kept tokens and the spliced embeddings stay on the GPU (gpu-video.ts,
// kept-gpu.ts, embeds-gpu.ts) and only budgets, provenance and top-K candidates are read back;
// on wasm (and wherever a model's tensors are not f32) everything is CPU tensors.

import type { FrameTokens } from '../kvtp/types.ts';
import type { VlmManifest } from '../models/manifest.ts';
import type { Ort, OrtSession, OrtTensor } from '../models/ort.ts';
import { floatTensor, inputType, readFloat32 } from '../models/dtype.ts';
import { planResize, preprocessFrameCpu } from '../models/preprocess.ts';
import type { RelevanceModel } from '../models/relevance.ts';
import type { FrameSelection, Selection, SelectionSettings } from '../kvtp/selection.ts';
import { checkPromise } from './budgets.ts';
import type { KvDecoder, GenerateOptions, GenerateResult } from './decoder.ts';
import { isGpuEmbeds, spliceOnGpu, type EmbedsOnGpu } from './embeds-gpu.ts';
import { vlmError } from './errors.ts';
import { prefillFlops } from './flops.ts';
import { bufferOf, pipelinesFor, storageBuffer } from './gpu-tensors.ts';
import type { Provenance } from '../kvtp/gpu/index.ts';
import type { KeptOnGpu } from './kept-gpu.ts';
import type { ComputePath } from './compute-path.ts';
import type { PromptBuilder } from './prompt.ts';
import { spliceCpu } from './splice.ts';
import type { GpuLimits } from '../gpu/device.ts';
import { chunkRanges, largestFrameTensor, planChunks, type ChunkPlan } from './encode-plan.ts';

/** A decoded frame as RGBA8 pixels. */
export interface RgbaFrame {
  readonly t: number;
  readonly width: number;
  readonly height: number;
  readonly rgba: Uint8Array | Uint8ClampedArray;
}

export interface LoadedVlm {
  readonly manifest: VlmManifest;
  /** Where the sessions run: `wasm` is the fallback without WebGPU (slower; the page says so). */
  readonly provider: 'webgpu' | 'wasm';
  readonly prompt: PromptBuilder;
  readonly vision: OrtSession;
  readonly decoder: KvDecoder;
}

/** L frames × N tokens of width D from the vision encoder: on the CPU, or in a GPU buffer. */
export interface VisionTokens {
  readonly frames: number;
  readonly tokens: number;
  readonly grid: readonly [number, number];
  readonly dim: number;
  /** [L·N·D] (CPU path), or null. */
  readonly cpu: Float32Array | null;
  /** [L·N·D] f32 in a buffer the features own (GPU path; see releaseFeatures), or null. */
  readonly gpu: GPUBuffer | null;
}

/** What a video costs once: its frames' vision tokens and relevance embeddings. */
export interface VideoFeatures {
  readonly times: readonly number[];
  readonly duration: number;
  readonly tokens: VisionTokens;
  /** [L·E] relevance embeddings of the frames. */
  readonly frameEmbeddings: Float32Array;
  /** Part of the padded model image a frame fills, [width, height] fractions. */
  readonly imageFit: readonly [number, number];
  /** Milliseconds the VLM's vision encoder and the relevance image encoder took. */
  readonly timings: { readonly visionMs: number; readonly relevanceMs: number };
}

/** Free what features hold on the GPU (when the video or the models change). */
export function releaseFeatures(v: VideoFeatures): void {
  v.tokens.gpu?.destroy();
}

/** The kept tokens of a selection: provenance, and the rows on the CPU or the GPU. */
export interface Kept {
  readonly provenance: Provenance;
  /** [rows·D] (CPU path), or null. */
  readonly features: Float32Array | null;
  readonly gpu: KeptOnGpu | null;
  release(): void;
}

/** How a video's frames are encoded: in chunks under the GPU's limits, with progress per chunk. */
export interface EncodeOptions {
  /** The per-buffer limits to keep each run under (the device's); none: one run a model. */
  readonly limits?: Pick<GpuLimits, 'maxStorageBufferBindingSize' | 'maxBufferSize'> | null;
  /** After each chunk: which tower, frames done, frames in all. */
  onChunk?(tower: 'vision' | 'relevance', done: number, total: number): void;
  /** Stops the encoding before its next chunk (a new video, other models, nobody waiting). */
  readonly signal?: AbortSignal;
}

/** The chunk plans of both towers for `frames` frames (src/vlm/encode-plan.ts). */
export function encodePlans(
  vlm: Pick<LoadedVlm, 'manifest'>,
  relevance: Pick<RelevanceModel, 'manifest'>,
  frames: number,
  limits: EncodeOptions['limits'],
): { vision: ChunkPlan; relevance: ChunkPlan } {
  const m = vlm.manifest;
  const r = relevance.manifest;
  const visionFrame = largestFrameTensor(
    m.image,
    { tokens: m.vision.tokensPerFrame, dim: m.vision.hidden },
    m.vision.encoder,
  );
  const relevanceFrame = largestFrameTensor(
    r.image,
    { tokens: 1, dim: r.embedDim },
    r.imageEncoder,
  );
  return {
    vision: planChunks(frames, visionFrame, limits ?? null, `${m.title}'s vision encoder`),
    relevance: planChunks(frames, relevanceFrame, limits ?? null, `${r.title}'s image tower`),
  };
}

/** Vision tokens and relevance embeddings of `frames` on the CPU, in chunks of the plans. */
export async function encodeVideo(
  ort: Ort,
  vlm: LoadedVlm,
  relevance: RelevanceModel,
  frames: readonly RgbaFrame[],
  duration: number,
  options: EncodeOptions = {},
): Promise<VideoFeatures> {
  const m = vlm.manifest;
  const L = frames.length;
  const plans = encodePlans(vlm, relevance, L, options.limits);
  const { width: W, height: H } = m.image;
  const { tokensPerFrame: N, grid, hidden: D } = m.vision;
  const visionStart = performance.now();
  const data = new Float32Array(L * N * D);
  for (const [a, b] of chunkRanges(L, plans.vision)) {
    options.signal?.throwIfAborted();
    const n = b - a;
    const pixels = new Float32Array(n * 3 * W * H);
    const mask = new Uint8Array(n * W * H);
    frames.slice(a, b).forEach((f, i) => {
      const p = preprocessFrameCpu(f.rgba, f.width, f.height, m.image);
      pixels.set(p.pixels, i * 3 * W * H);
      mask.set(p.mask, i * W * H);
    });
    const type = inputType(vlm.vision, 'pixel_values');
    const feeds: Record<string, OrtTensor> = {
      pixel_values: floatTensor(ort, type, pixels, [1, n, 3, H, W]),
    };
    if (m.pixelMask) feeds.pixel_attention_mask = new ort.Tensor('bool', mask, [1, n, H, W]);
    const out = await vlm.vision.run(feeds);
    Object.values(feeds).forEach((t) => t.dispose());
    const feats = out.image_features;
    if (!feats) throw vlmError('bad-output', 'The vision encoder has no output "image_features"');
    const part = await readFloat32(feats);
    feats.dispose();
    if (part.length !== n * N * D) {
      throw vlmError(
        'bad-output',
        `The vision encoder gave ${part.length} values, expected ${n}×${N}×${D}`,
      );
    }
    data.set(part, a * N * D);
    options.onChunk?.('vision', b, L);
  }
  const visionMs = performance.now() - visionStart;
  const relevanceStart = performance.now();
  const r = relevance.manifest.image;
  const plane = 3 * r.width * r.height;
  const frameEmbeddings = new Float32Array(L * relevance.manifest.embedDim);
  for (const [a, b] of chunkRanges(L, plans.relevance)) {
    options.signal?.throwIfAborted();
    const rPixels = new Float32Array((b - a) * plane);
    frames
      .slice(a, b)
      .forEach((f, i) =>
        rPixels.set(preprocessFrameCpu(f.rgba, f.width, f.height, r).pixels, i * plane),
      );
    const rTensor = new ort.Tensor('float32', rPixels, [b - a, 3, r.height, r.width]);
    frameEmbeddings.set(await relevance.embedFrames(rTensor), a * relevance.manifest.embedDim);
    rTensor.dispose();
    options.onChunk?.('relevance', b, L);
  }
  const relevanceMs = performance.now() - relevanceStart;
  const first = frames[0]!;
  const fit = planResize(first.width, first.height, m.image).fit;
  return {
    times: frames.map((f) => f.t),
    duration,
    tokens: { frames: L, tokens: N, grid: [grid[0], grid[1]], dim: D, cpu: data, gpu: null },
    frameEmbeddings,
    imageFit: [fit[0] / W, fit[1] / H],
    timings: { visionMs, relevanceMs },
  };
}

/** Vision tokens on the CPU in the KVTP core's layout (features are their own keys). */
export function frameTokens(t: VisionTokens, features: Float32Array): FrameTokens {
  const { frames, tokens, grid, dim } = t;
  return { frames, tokens, grid, dim, features, keyDim: dim, keys: null, importance: null };
}

/** KVTP's selection for a question: scores, budgets, the reduction, in what the page draws. */
export async function selectTokens(
  path: ComputePath,
  relevance: RelevanceModel,
  video: VideoFeatures,
  question: string,
  settings: SelectionSettings,
): Promise<{
  selection: Selection;
  kept: Kept;
  scores: Float32Array;
  timings: { relevanceMs: number; reduceMs: number };
}> {
  const t = video.tokens;
  const relevanceStart = performance.now();
  const backend = path.kvtp;
  const input = await relevance.scoreInput(
    video.frameEmbeddings,
    question,
    settings.head === 'learned',
  );
  // scores feed the allocation where they are made (on the GPU: one submit, one readback of
  // scores and budgets, both needed here for the prompt and the view); relevanceMs covers both
  const { scores, allocation } = await backend.scoreAndAllocate(input, {
    keepRatio: settings.keepRatio,
    temperature: settings.temperature,
    mode: settings.allocation,
    tokensPerFrame: t.tokens,
    minPerFrame: settings.minPerFrame,
    method: settings.method,
  });
  const relevanceMs = performance.now() - relevanceStart;
  const reduceStart = performance.now();
  const none = settings.method === 'none';
  const budgets = none ? Array<number>(t.frames).fill(t.tokens) : allocation.keep!;
  const params = { method: settings.method, keep: budgets, seed: settings.seed };
  const kept = await path.reduce(t, params);
  const reduceMs = performance.now() - reduceStart;
  const p = kept.provenance;
  const frames: FrameSelection[] = video.times.map((time, f) => {
    const from = p.offsets[f]!;
    const to = p.offsets[f + 1]!;
    return {
      t: time,
      score: scores[f]!,
      keep: to - from,
      tokens: t.tokens,
      indices: Array.from(p.indices.subarray(from, to)),
      groups: p.groups.slice(from, to),
    };
  });
  const visualKept = frames.reduce((a, f) => a + f.keep, 0);
  if (!none) {
    try {
      const shape = { ...t, keepRatio: settings.keepRatio, method: settings.method };
      checkPromise(settings.allocation, shape, budgets, p.keep);
    } catch (e) {
      kept.release();
      throw e;
    }
  }
  const selection: Selection = {
    question,
    settings,
    grid: t.grid,
    imageFit: video.imageFit,
    frames,
    visualTotal: t.frames * t.tokens,
    visualKept,
  };
  return { selection, kept, scores, timings: { relevanceMs, reduceMs } };
}

export interface Answered {
  readonly generation: GenerateResult;
  readonly text: string;
  readonly promptTokens: number;
  readonly promptTokensUnpruned: number;
  readonly prefillFlops: number;
  readonly prefillFlopsUnpruned: number;
  /** Prompt, embedding, splice and decoder prefill, up to the first token's candidates. */
  readonly prefillMs: number;
}

/** The decoder's input: the prompt's embeddings with the kept tokens in their placeholders. */
async function promptEmbeds(
  ort: Ort,
  vlm: LoadedVlm,
  ids: readonly number[],
  positions: Uint32Array,
  kept: Kept,
): Promise<OrtTensor | EmbedsOnGpu> {
  const D = vlm.manifest.vision.hidden;
  const text = await vlm.decoder.embedIds(ids);
  const gpu = vlm.decoder.gpu;
  try {
    if (kept.gpu && gpu) {
      if (kept.gpu.rows !== positions.length) {
        throw vlmError(
          'bad-output',
          `${kept.gpu.rows} kept rows for ${positions.length} placeholders`,
        );
      }
      const pipelines = pipelinesFor(gpu.device);
      if (text.location === 'gpu-buffer') {
        const buf = bufferOf(text, 'inputs_embeds');
        return spliceOnGpu(gpu.device, pipelines, buf, ids.length, D, kept.gpu.buffer, positions);
      }
      // an embedding session without GPU outputs: upload its rows (CPU → GPU), then splice
      const up = storageBuffer(gpu.device, ids.length * D * 4, 'prompt embeddings (upload)');
      gpu.device.queue.writeBuffer(up, 0, new Float32Array(await readFloat32(text)));
      const e = spliceOnGpu(gpu.device, pipelines, up, ids.length, D, kept.gpu.buffer, positions);
      up.destroy();
      return e;
    }
    if (!kept.features)
      throw vlmError('no-gpu', 'The kept tokens are on the GPU, the decoder is not');
    const embeds = new Float32Array(await readFloat32(text));
    spliceCpu(embeds, kept.features, positions, D);
    return new ort.Tensor('float32', embeds, [1, ids.length, D]); // the decoder casts to its type
  } finally {
    text.dispose();
  }
}

/** The answer from the kept tokens: prompt, splice, prefill, decode (tokens streamed). */
export async function answerQuestion(
  ort: Ort,
  vlm: LoadedVlm,
  video: VideoFeatures,
  selection: Selection,
  kept: Kept,
  options: GenerateOptions,
): Promise<Answered> {
  const promptStart = performance.now();
  const m = vlm.manifest;
  const frames = selection.frames.map((f) => ({ t: f.t, keep: f.keep }));
  const prompt = vlm.prompt.build(selection.question, frames, video.duration);
  const input = await promptEmbeds(ort, vlm, prompt.ids, prompt.imagePositions, kept);
  let generation: GenerateResult;
  try {
    generation = await vlm.decoder.generate(input, m.tokens.eos, options);
  } finally {
    if (isGpuEmbeds(input)) input.release();
    else input.dispose();
  }
  const unpruned = prompt.ids.length - selection.visualKept + selection.visualTotal;
  const shape = { ...m.decoder, hidden: m.vision.hidden };
  return {
    generation,
    text: vlm.prompt.decode(generation.ids),
    promptTokens: prompt.ids.length,
    promptTokensUnpruned: unpruned,
    prefillFlops: prefillFlops(shape, prompt.ids.length),
    prefillFlopsUnpruned: prefillFlops(shape, unpruned),
    prefillMs: generation.firstTokenAt - promptStart,
  };
}
