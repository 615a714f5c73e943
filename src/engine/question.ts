// A question about the open video, once the engine has prepared it (models loaded, the video's
// features ready): relevance, allocation and reduction (the selection, sent as an event the page
// draws at once), then the language model, whose tokens stream as events, and the answer with its
// figures. `selectOnly` re-runs only the selection with new settings. Where the work runs (GPU
// buffers or CPU tensors) is the prepared compute path's business, never decided here.

import type { RelevanceModel } from '../models/relevance.ts';
import { onnxRuntime } from '../models/ort.ts';
import type { SampledVideo } from '../video/index.ts';
import type { ComputePath } from '../vlm/compute-path.ts';
import { gpuMeter, type GpuTraffic } from '../vlm/gpu-meter.ts';
import { inspectPrefill } from '../vlm/inspect.ts';
import {
  answerQuestion,
  selectTokens,
  type LoadedVlm,
  type VideoFeatures,
} from '../vlm/pipeline.ts';
import type { AskArgs, AskResult, Selection, Work, WorkCounters } from './types.ts';

/** What a question needs, ready: the models, the features, the path. `done()` when finished. */
export interface Prepared {
  readonly video: SampledVideo;
  readonly vlm: LoadedVlm;
  readonly relevance: RelevanceModel;
  readonly feats: VideoFeatures;
  readonly path: ComputePath;
  /** The GPU device of the KVTP kernels, or null without WebGPU. */
  readonly device: GPUDevice | null;
  /** The features were computed for this question (not reused). */
  readonly encoded: boolean;
  done(): void;
}

export type Counters = { -readonly [K in keyof WorkCounters]: number };

async function selection(p: Prepared, args: AskArgs, counters: Counters) {
  const out = await selectTokens(p.path, p.relevance, p.feats, args.question, args.settings);
  counters.textEncodes++;
  counters.selections++;
  return out;
}

/** Answer `args.question` on `p`: selection event, token events, then the result. */
export async function askQuestion(
  p: Prepared,
  args: AskArgs,
  work: Work,
  counters: Counters,
): Promise<AskResult> {
  work.signal.throwIfAborted();
  // the question's own work starts here: models and the video's features are ready
  const questionStart = performance.now();
  const meter = gpuMeter();
  const { selection: sel, kept, timings } = await selection(p, args, counters);
  const selectionTraffic = meter.take();
  let toFirstToken: GpuTraffic = selectionTraffic;
  work.emit({ type: 'selection', selection: sel });
  const g = args.settings.generation;
  const ids: number[] = [];
  let text = '';
  const answered = await answerQuestion(onnxRuntime(), p.vlm, p.feats, sel, kept, {
    maxNewTokens: g.maxTokens,
    temperature: g.temperature,
    topP: g.topP,
    seed: args.settings.seed,
    signal: work.signal,
    prefillLogits: g.inspectPrefill === true,
    onPrefilled: () => (toFirstToken = meter.take()),
    onToken: (id) => {
      ids.push(id);
      const next = p.vlm.prompt.decode(ids);
      work.emit({ type: 'token', id, text: next.slice(text.length) });
      text = next;
    },
  }).finally(() => kept.release());
  counters.generations++;
  const gen = answered.generation;
  const inspection = g.inspectPrefill
    ? await inspectPrefill(p.vlm, p.feats, sel, p.device, gen)
    : undefined;
  return {
    answer: answered.text,
    model: p.vlm.manifest.id,
    provider: p.vlm.provider,
    path: p.path.kind,
    decoder: {
      cache: gen.cache,
      logitRowsRead: gen.logitRowsRead,
      cacheLength: gen.cacheLength,
      cacheMode: gen.cacheMode,
      cacheBuffersMade: gen.cacheBuffersMade,
      steps: gen.steps,
    },
    transfers: {
      metered: meter.available && p.device !== null,
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
    stop: gen.stopped,
  };
}

/** Only the selection for `args` (no decoding), sent as an event and answered. */
export async function selectOnly(
  p: Prepared,
  args: AskArgs,
  work: Work,
  counters: Counters,
): Promise<Selection> {
  const { selection: sel, kept } = await selection(p, args, counters);
  kept.release();
  work.emit({ type: 'selection', selection: sel });
  return sel;
}
