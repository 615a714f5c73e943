// `ask`, `select` and `counters`: a question about the open video. The video's features are
// computed once per (video, models) and kept; each question runs relevance, allocation and
// reduction (the selection, sent as an event the page draws at once), then the language model,
// whose tokens stream as events. `select` re-runs only the selection with new settings. With
// the models on WebGPU, frames, vision tokens, kept tokens and the KV cache stay on the GPU
// (src/vlm); the answer reports what came back to the CPU. Without WebGPU, or with the models on
// wasm by choice, the CPU path does the same work.

import { acquireGpu, type GpuContext } from '../gpu/device.ts';
import { cpuBackend } from '../kvtp/cpu.ts';
import { GpuKvtp } from '../kvtp/gpu.ts';
import type { KvtpBackend } from '../kvtp/types.ts';
import { onnxRuntime } from '../models/ort.ts';
import type { RelevanceModel } from '../models/relevance.ts';
import type { SampledVideo } from '../video/index.ts';
import { gpuMeter, type GpuTraffic } from '../vlm/gpu-meter.ts';
import { encodeVideoGpu, gpuPathFits } from '../vlm/gpu-video.ts';
import {
  answerQuestion,
  encodeVideo,
  releaseFeatures,
  selectTokens,
  type LoadedVlm,
  type RgbaFrame,
  type VideoFeatures,
} from '../vlm/pipeline.ts';
import type { AskResult, Selection, WorkCounters } from './ask-types.ts';
import { CodedError } from './errors.ts';
import type { Handler, HandlerContext } from './handlers.ts';
import type { ModelChoice, PipelineEvent } from './protocol.ts';
import { choiceKey, forgetModels, loadRelevance, loadVlm } from './models.ts';
import { deviceLostNotice, downloadEvent, wasmFallbackNotice } from './model-events.ts';
import type { PackageProgress } from '../models/loader.ts';
import { inspectPrefill } from '../vlm/inspect.ts';
import { currentVideo, gpu, takeLoss } from './state.ts';

const counters: { -readonly [K in keyof WorkCounters]: number } = {
  videoDecodes: 0,
  visionEncodes: 0,
  relevanceImageEncodes: 0,
  textEncodes: 0,
  selections: 0,
  generations: 0,
};

/** Count a finished video decode (called by `open`). */
export function countDecode(): void {
  counters.videoDecodes++;
}

/** The open video's features; GPU buffers are freed once replaced and no request uses them. */
interface FeatureEntry {
  video: SampledVideo;
  key: string;
  value: Promise<VideoFeatures>;
  users: number;
  stale: boolean;
}

let lastDevice: GPUDevice | null | undefined;
let features: FeatureEntry | null = null;

function retire(entry: FeatureEntry | null, deviceLost = false): void {
  if (!entry) return;
  entry.stale = true;
  if (entry.users === 0 && !deviceLost) void entry.value.then(releaseFeatures, () => {});
}

async function gpuOrNull(onFailure?: (reason: unknown) => void): Promise<GpuContext | null> {
  try {
    return await gpu(() => acquireGpu(navigator.gpu));
  } catch (e) {
    onFailure?.(e);
    return null; // no WebGPU: the wasm provider and the CPU reference do the work
  }
}

function backendFor(ctx: GpuContext | null): KvtpBackend {
  return ctx ? new GpuKvtp(ctx) : cpuBackend();
}

/** The CPU path's pixels: each frame drawn to a canvas and read (wasm provider only). */
function rgbaOf(video: SampledVideo): RgbaFrame[] {
  return video.frames.map((f) => {
    const canvas = new OffscreenCanvas(f.bitmap.width, f.bitmap.height);
    const g = canvas.getContext('2d', { willReadFrequently: true })!;
    g.drawImage(f.bitmap, 0, 0);
    const { data } = g.getImageData(0, 0, canvas.width, canvas.height);
    return { t: f.t, width: canvas.width, height: canvas.height, rgba: data };
  });
}

interface Prepared {
  video: SampledVideo;
  vlm: LoadedVlm;
  relevance: RelevanceModel;
  feats: VideoFeatures;
  gpuCtx: GpuContext | null;
  /** The features were computed for this request (not reused). */
  encoded: boolean;
  /** Call when the request no longer uses the features. */
  done(): void;
}

async function prepare(models: ModelChoice, hc: HandlerContext): Promise<Prepared> {
  const video = currentVideo();
  if (!video) throw new CodedError('no-video', 'Open a video first, then ask about it');
  // WebGPU failed: the page says so (the models run on the CPU backend), unless wasm was chosen
  const gpuCtx = await gpuOrNull((e) => {
    if (models.provider !== 'wasm') hc.emit(wasmFallbackNotice(e));
  });
  if (gpuCtx?.device !== lastDevice) {
    // a new device (the old one was lost): sessions and features made on the old one are gone;
    // the open video and the conversation stay, the models load again on the new device
    if (lastDevice !== undefined) {
      const loss = takeLoss();
      if (lastDevice !== null && gpuCtx) hc.emit(deviceLostNotice(loss));
      forgetModels();
      retire(features, true);
      features = null;
    }
    lastDevice = gpuCtx?.device ?? null;
  }
  const load = {
    gpu: models.provider === 'wasm' ? null : gpuCtx,
    signal: hc.signal,
    onProgress: (p: PackageProgress & { model: string }) => hc.emit(downloadEvent(p.model, p)),
    onNotice: (notice: PipelineEvent) => hc.emit(notice),
  };
  // one at a time: ONNX Runtime's WebGPU provider creates one session at a time
  const vlm = await loadVlm(models.vlm, load);
  const relevance = await loadRelevance(models.relevance, load);
  const onGpu = load.gpu !== null && gpuPathFits(vlm);
  const key = `${choiceKey(models.vlm, models.relevance)}|${load.gpu ? 'webgpu' : 'wasm'}|${onGpu}`;
  let encoded = false;
  if (!features || features.video !== video || features.key !== key) {
    retire(features);
    hc.emit({ type: 'progress', stage: 'encoding frames', done: 0, total: video.frames.length });
    const ort = onnxRuntime();
    const { duration } = video.info;
    // progress after each chunk of frames (chunks sized to the GPU's limits)
    const onChunk = (tower: 'vision' | 'relevance', done: number, total: number) => {
      const stage = tower === 'vision' ? 'encoding frames' : 'encoding frames for relevance';
      hc.emit({ type: 'progress', stage, done, total });
    };
    const value = onGpu
      ? encodeVideoGpu(ort, vlm, relevance, video.frames, duration, load.gpu!, { onChunk })
      : encodeVideo(ort, vlm, relevance, rgbaOf(video), duration, { onChunk });
    const entry: FeatureEntry = { video, key, value, users: 0, stale: false };
    features = entry;
    encoded = true;
    value.then(
      () => {
        counters.visionEncodes++;
        counters.relevanceImageEncodes++;
      },
      () => {
        if (features === entry) features = null;
      },
    );
  }
  const entry = features;
  entry.users++;
  const done = () => {
    entry.users--;
    if (entry.stale && entry.users === 0) retire(entry);
  };
  try {
    const feats = await entry.value;
    return { video, vlm, relevance, feats, gpuCtx, encoded, done };
  } catch (e) {
    done();
    throw e;
  }
}

async function selection(p: Prepared, args: { question: string; settings: Selection['settings'] }) {
  const out = await selectTokens(
    backendFor(p.gpuCtx),
    p.relevance,
    p.feats,
    args.question,
    args.settings,
  );
  counters.textEncodes++;
  counters.selections++;
  return out;
}

export const ask: Handler<'ask'> = async (args, hc) => {
  const p = await prepare(args.models, hc);
  try {
    hc.signal.throwIfAborted();
    // the question's own work starts here: models and the video's features are ready
    const questionStart = performance.now();
    const meter = gpuMeter();
    const { selection: sel, kept, timings } = await selection(p, args);
    const selectionTraffic = meter.take();
    let toFirstToken: GpuTraffic = selectionTraffic;
    hc.emit({ type: 'selection', selection: sel });
    const g = args.settings.generation;
    const ids: number[] = [];
    let text = '';
    const answered = await answerQuestion(onnxRuntime(), p.vlm, p.feats, sel, kept, {
      maxNewTokens: g.maxTokens,
      temperature: g.temperature,
      topP: g.topP,
      seed: args.settings.seed,
      signal: hc.signal,
      prefillLogits: g.inspectPrefill === true,
      onPrefilled: () => (toFirstToken = meter.take()),
      onToken: (id) => {
        ids.push(id);
        const next = p.vlm.prompt.decode(ids);
        hc.emit({ type: 'token', id, text: next.slice(text.length) });
        text = next;
      },
    }).finally(() => kept.release());
    counters.generations++;
    const gen = answered.generation;
    const inspection = g.inspectPrefill
      ? await inspectPrefill(p.vlm, p.feats, sel, p.gpuCtx?.device ?? null, gen)
      : undefined;
    const result: AskResult = {
      answer: answered.text,
      model: p.vlm.manifest.id,
      provider: p.vlm.provider,
      path: p.feats.tokens.gpu ? 'gpu' : 'cpu',
      decoder: {
        cache: gen.cache,
        logitRowsRead: gen.logitRowsRead,
        cacheLength: gen.cacheLength,
        cacheMode: gen.cacheMode,
        cacheBuffersMade: gen.cacheBuffersMade,
        steps: gen.steps,
      },
      transfers: {
        metered: meter.available && p.gpuCtx !== null,
        selection: selectionTraffic,
        toFirstToken,
      },
      ...(inspection && { inspection }),
      selection: sel,
      figures: {
        visualTotal: sel.visualTotal,
        visualKept: sel.visualKept,
        promptTokens: answered.promptTokens,
        promptTokensUnpruned: answered.promptTokensUnpruned,
        generatedTokens: gen.ids.length,
        prefillFlops: answered.prefillFlops,
        prefillFlopsUnpruned: answered.prefillFlopsUnpruned,
        timings: {
          decodeMs: gen.decodeMs,
          visionMs: p.encoded ? p.feats.timings.visionMs : 0,
          relevanceMs: (p.encoded ? p.feats.timings.relevanceMs : 0) + timings.relevanceMs,
          reduceMs: timings.reduceMs,
          prefillMs: answered.prefillMs,
          firstTokenMs: gen.firstTokenAt - questionStart,
          tokensPerSecond: gen.ids.length > 1 ? ((gen.ids.length - 1) * 1000) / gen.decodeMs : 0,
        },
      },
      stop: gen.stopped === 'length' ? 'max-tokens' : gen.stopped,
    };
    return result;
  } finally {
    p.done();
  }
};

export const select: Handler<'select'> = async (args, hc) => {
  const p = await prepare(args.models, hc);
  try {
    const { selection: sel, kept } = await selection(p, args);
    kept.release();
    hc.emit({ type: 'selection', selection: sel });
    return sel;
  } finally {
    p.done();
  }
};

export const workCounters: Handler<'counters'> = async () => ({ ...counters });
