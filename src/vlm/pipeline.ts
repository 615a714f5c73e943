// One question about one video, end to end: the video's features (vision encoder and relevance
// embeddings, computed once per video and reused), then per question the KVTP selection
// (scores → allocation → reduction, src/kvtp) and the answer (prompt with each frame's kept
// tokens, splice, prefill, decode). This is the CPU-tensor path (ONNX Runtime's wasm provider,
// in Node tests and as the browser's fallback); the WebGPU path keeps the same steps on the GPU.

import { totalBudget } from '../kvtp/allocate.ts';
import type { AllocationParams, FrameTokens, KvtpBackend, Reduced } from '../kvtp/types.ts';
import type { VlmManifest } from '../models/manifest.ts';
import type { Ort, OrtSession } from '../models/ort.ts';
import { planResize, preprocessFrameCpu } from '../models/preprocess.ts';
import type { RelevanceModel } from '../models/relevance.ts';
import type {
  AllocationChoice,
  FrameSelection,
  Selection,
  SelectionSettings,
} from '../worker/ask-types.ts';
import type { KvDecoder, GenerateOptions, GenerateResult } from './decoder.ts';
import { prefillFlops } from './flops.ts';
import type { PromptBuilder } from './prompt.ts';
import { spliceCpu } from './splice.ts';

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

/** What a video costs once: its frames' vision tokens and relevance embeddings. */
export interface VideoFeatures {
  readonly times: readonly number[];
  readonly duration: number;
  readonly tokens: FrameTokens;
  /** [L·E] relevance embeddings of the frames. */
  readonly frameEmbeddings: Float32Array;
  /** Part of the padded model image a frame fills, [width, height] fractions. */
  readonly imageFit: readonly [number, number];
  /** Milliseconds the VLM's vision encoder and the relevance image encoder took. */
  readonly timings: { readonly visionMs: number; readonly relevanceMs: number };
}

const MODE: Record<AllocationChoice, AllocationParams['mode']> = {
  kvtp: 'exact',
  paper: 'paper',
  uniform: 'uniform',
  hard: 'hard',
};

/** Vision tokens and relevance embeddings of `frames` (batched, one run per model). */
export async function encodeVideo(
  ort: Ort,
  vlm: LoadedVlm,
  relevance: RelevanceModel,
  frames: readonly RgbaFrame[],
  duration: number,
): Promise<VideoFeatures> {
  const m = vlm.manifest;
  const L = frames.length;
  const { width: W, height: H } = m.image;
  const visionStart = performance.now();
  const pixels = new Float32Array(L * 3 * W * H);
  const mask = new Uint8Array(L * W * H);
  frames.forEach((f, i) => {
    const p = preprocessFrameCpu(f.rgba, f.width, f.height, m.image);
    pixels.set(p.pixels, i * 3 * W * H);
    mask.set(p.mask, i * W * H);
  });
  const feeds: Record<string, InstanceType<Ort['Tensor']>> = {
    pixel_values: new ort.Tensor('float32', pixels, [1, L, 3, H, W]),
  };
  if (m.pixelMask) feeds.pixel_attention_mask = new ort.Tensor('bool', mask, [1, L, H, W]);
  const out = await vlm.vision.run(feeds);
  Object.values(feeds).forEach((t) => t.dispose());
  const feats = out.image_features;
  if (!feats) throw new Error('The vision encoder has no output "image_features"');
  const { tokensPerFrame: N, grid, hidden: D } = m.vision;
  const data = (await feats.getData()) as Float32Array;
  feats.dispose();
  if (data.length !== L * N * D) {
    throw new Error(`The vision encoder gave ${data.length} values, expected ${L}×${N}×${D}`);
  }
  const visionMs = performance.now() - visionStart;
  const relevanceStart = performance.now();
  const r = relevance.manifest.image;
  const rPixels = new Float32Array(L * 3 * r.width * r.height);
  frames.forEach((f, i) =>
    rPixels.set(
      preprocessFrameCpu(f.rgba, f.width, f.height, r).pixels,
      i * 3 * r.width * r.height,
    ),
  );
  const rTensor = new ort.Tensor('float32', rPixels, [L, 3, r.height, r.width]);
  const frameEmbeddings = await relevance.embedFrames(rTensor);
  rTensor.dispose();
  const relevanceMs = performance.now() - relevanceStart;
  const first = frames[0]!;
  const fit = planResize(first.width, first.height, m.image).fit;
  return {
    times: frames.map((f) => f.t),
    duration,
    tokens: {
      frames: L,
      tokens: N,
      grid: [grid[0], grid[1]],
      dim: D,
      features: data,
      keyDim: D,
      keys: null,
      importance: null,
    },
    frameEmbeddings,
    imageFit: [fit[0] / W, fit[1] / H],
    timings: { visionMs, relevanceMs },
  };
}

/** KVTP's selection for a question: scores, budgets, the reduction, in what the page draws. */
export async function selectTokens(
  backend: KvtpBackend,
  relevance: RelevanceModel,
  video: VideoFeatures,
  question: string,
  settings: SelectionSettings,
): Promise<{
  selection: Selection;
  reduced: Reduced;
  scores: Float32Array;
  timings: { relevanceMs: number; reduceMs: number };
}> {
  const t = video.tokens;
  const relevanceStart = performance.now();
  const scores = await relevance.scores(
    backend,
    video.frameEmbeddings,
    question,
    settings.head === 'learned',
  );
  const relevanceMs = performance.now() - relevanceStart;
  const reduceStart = performance.now();
  const allocation = await backend.allocate(scores, {
    keepRatio: settings.keepRatio,
    temperature: settings.temperature,
    mode: MODE[settings.allocation],
    tokensPerFrame: t.tokens,
    minPerFrame: settings.minPerFrame,
  });
  const keep =
    settings.method === 'none' ? Array<number>(t.frames).fill(t.tokens) : allocation.keep!;
  const reduced = await backend.reduce(t, { method: settings.method, keep, seed: settings.seed });
  const reduceMs = performance.now() - reduceStart;
  const frames: FrameSelection[] = video.times.map((time, f) => {
    const from = reduced.offsets[f]!;
    const to = reduced.offsets[f + 1]!;
    return {
      t: time,
      score: scores[f]!,
      keep: to - from,
      tokens: t.tokens,
      indices: Array.from(reduced.indices.subarray(from, to)),
      groups: reduced.groups.slice(from, to),
    };
  });
  const visualKept = frames.reduce((a, f) => a + f.keep, 0);
  const selection: Selection = {
    question,
    settings,
    grid: t.grid,
    imageFit: video.imageFit,
    frames,
    visualTotal: t.frames * t.tokens,
    visualKept,
  };
  // `exact` and `hard` promise their total; a mismatch would be a bug worth a loud error
  if (
    (settings.allocation === 'kvtp' || settings.allocation === 'hard') &&
    settings.method !== 'none'
  ) {
    const promised = totalBudget(t.frames, t.tokens, settings.keepRatio);
    if (visualKept !== promised)
      throw new Error(`selection kept ${visualKept} tokens, promised ${promised}`);
  }
  return { selection, reduced, scores, timings: { relevanceMs, reduceMs } };
}

export interface Answered {
  readonly generation: GenerateResult;
  readonly text: string;
  readonly promptTokens: number;
  readonly promptTokensUnpruned: number;
  readonly prefillFlops: number;
  readonly prefillFlopsUnpruned: number;
}

/** The answer from the kept tokens: prompt, splice, prefill, decode (tokens streamed). */
export async function answerQuestion(
  ort: Ort,
  vlm: LoadedVlm,
  video: VideoFeatures,
  selection: Selection,
  reduced: Reduced,
  options: GenerateOptions,
): Promise<Answered> {
  const m = vlm.manifest;
  const D = m.vision.hidden;
  const frames = selection.frames.map((f) => ({ t: f.t, keep: f.keep }));
  const prompt = vlm.prompt.build(selection.question, frames, video.duration);
  const embedded = await vlm.decoder.embedIds(prompt.ids);
  const embeds = new Float32Array((await embedded.getData()) as Float32Array);
  embedded.dispose();
  spliceCpu(embeds, reduced.features, prompt.imagePositions, D);
  const input = new ort.Tensor('float32', embeds, [1, prompt.ids.length, D]);
  const generation = await vlm.decoder.generate(input, m.tokens.eos, options);
  input.dispose();
  const unpruned = prompt.ids.length - selection.visualKept + selection.visualTotal;
  const shape = { ...m.decoder, hidden: D };
  return {
    generation,
    text: vlm.prompt.decode(generation.ids),
    promptTokens: prompt.ids.length,
    promptTokensUnpruned: unpruned,
    prefillFlops: prefillFlops(shape, prompt.ids.length),
    prefillFlopsUnpruned: prefillFlops(shape, unpruned),
  };
}
