// What asking a question involves, as the engine's callers (the worker's protocol, the page, the
// command line) see it: generation settings, the answer and its figures, and the engine's counters.
// The selection itself (settings, scores, budgets, kept groups) is src/kvtp/selection.ts.

import type { GpuTraffic } from '../vlm/gpu-meter.ts';
import type { ErrorInfo } from '../core/errors.ts';
import type { ReductionMethod } from '../kvtp/types.ts';
import type { BenchShape } from '../kvtp/bench.ts';
import type { CachedPackage } from '../models/cache.ts';
import type { DtypeVariant } from '../models/manifest.ts';
import type { ModelRef, ModelRefLike } from '../models/resolve.ts';
import type { FrameStamp, VideoInfo } from '../video/types.ts';
import type { Selection, SelectionSettings } from '../kvtp/selection.ts';

export type { AllocationMode } from '../kvtp/types.ts';
export type { FrameSelection, ScoreHead, Selection, SelectionSettings } from '../kvtp/selection.ts';

export interface GenerationSettings {
  readonly maxTokens: number;
  /** 0: greedy. */
  readonly temperature: number;
  readonly topP: number;
  /**
   * Tests and diagnostics: also return the prompt's last prefill logits row and independent
   * references for it (AskResult.inspection). Reads logits and vision tokens back; off by default.
   */
  readonly inspectPrefill?: boolean;
}

export type AskSettings = SelectionSettings & { readonly generation: GenerationSettings };

export interface AnswerFigures {
  readonly visualTotal: number;
  readonly visualKept: number;
  /** Tokens the decoder prefilled (text + kept vision tokens). */
  readonly promptTokens: number;
  /** Prompt tokens if every vision token had been kept. */
  readonly promptTokensUnpruned: number;
  readonly generatedTokens: number;
  /** Estimated prefill FLOPs, and the same for the unpruned prompt. */
  readonly prefillFlops: number;
  readonly prefillFlopsUnpruned: number;
  readonly timings: {
    /** The decode steps after the first token. */
    readonly decodeMs: number;
    /** The VLM's vision encoder over the frames; 0 when reused from an earlier question. */
    readonly visionMs: number;
    /**
     * Relevance: frame embeddings (0 when reused), question embedding, scores and the budgets
     * from them (one submit and one read back on the GPU).
     */
    readonly relevanceMs: number;
    /** The reduction to the budgets, with the read back of the kept groups. */
    readonly reduceMs: number;
    /**
     * Prompt building, token embedding, splice and the decoder's prefill (every chunk), up to
     * the first token's candidates.
     */
    readonly prefillMs: number;
    /**
     * The question's own work up to its first token: from the moment the models are loaded and
     * the video's features are ready (encoded once per video, shared by every question about
     * it; their cost is visionMs and the frame part of relevanceMs) through the question's
     * embedding and scores, allocation, reduction and prefillMs, to the first token chosen.
     */
    readonly firstTokenMs: number;
    readonly tokensPerSecond: number;
  };
}

export interface AskResult {
  readonly answer: string;
  readonly model: string;
  /** Where the models ran: `wasm` is the fallback without WebGPU. */
  readonly provider: 'webgpu' | 'wasm';
  /**
   * `gpu`: frames preprocessed by the WGSL kernel and vision tokens, kept tokens and the prompt's
   * embeddings kept in GPU buffers up to the decoder; `cpu`: the same steps on CPU tensors.
   */
  readonly path?: 'gpu' | 'cpu';
  /** Where the decoder's KV cache lived, and how many full logits rows were read to the CPU. */
  readonly decoder: {
    readonly cache: 'gpu' | 'cpu';
    readonly logitRowsRead: number;
    readonly cacheLength: number;
    /** `static`: allocated once and written in place (WebGPU); `feedback`: present.* fed back. */
    readonly cacheMode?: 'static' | 'feedback';
    /** Cache buffers made for this answer (0 when the previous answer's had room). */
    readonly cacheBuffersMade?: number;
    /** Per token fed back: the cache length ORT returned, and that step's GPU traffic. */
    readonly steps?: readonly (GpuTraffic & { readonly cacheLength: number })[];
  };
  /**
   * What came back from the GPU to the CPU (and GPU buffers made), measured in the worker over
   * our kernels and ONNX Runtime alike; `metered` is false where the worker has no GPU device.
   */
  readonly transfers?: {
    readonly metered: boolean;
    /** From the question's start to the selection: text embedding, scores, budgets, groups. */
    readonly selection: GpuTraffic;
    /** From the selection to the first token: prompt, splice, prefill, the top-K candidates. */
    readonly toFirstToken: GpuTraffic;
  };
  /** With generation.inspectPrefill: the last prefill logits row and two references for it. */
  readonly inspection?: {
    readonly prefillLogits: readonly number[];
    /** The same prompt with the CPU reference's reduction at the same budgets (src/vlm/reference.ts). */
    readonly referenceLogits: readonly number[];
    /** Every vision token kept, unreduced. */
    readonly unprunedLogits: readonly number[];
  };
  readonly selection: Selection;
  readonly figures: AnswerFigures;
  /** Why generation stopped. */
  readonly stop: 'eos' | 'max-tokens' | 'cancelled';
}

/** Counts of the expensive steps since the worker started (tests check reuse with them). */
export interface WorkCounters {
  readonly videoDecodes: number;
  readonly visionEncodes: number;
  readonly relevanceImageEncodes: number;
  readonly textEncodes: number;
  readonly selections: number;
  readonly generations: number;
}

export interface AskArgs {
  readonly question: string;
  readonly settings: AskSettings;
  /** The packages to ask with (ids or sources), and where the models run. */
  readonly models: ModelChoice;
}

/**
 * The packages to ask with. `provider`: `auto` (the default) runs the models on WebGPU where the
 * page has it and on wasm otherwise; `wasm` keeps them on ONNX Runtime's CPU backend even with
 * WebGPU (the KVTP kernels still run on the GPU), for small models where GPU dispatch costs more
 * than it saves, or a GPU the WebGPU provider mishandles.
 */
export interface ModelChoice {
  /**
   * A package id of src/models/registry.ts (as before), or where the package comes from: a Hub
   * repo, a served directory, or a folder the user picked (`folderRef(input.files)` from
   * src/models/resolve.ts). A `ModelInfo.ref` of `listModels` can be passed as it is.
   */
  readonly vlm: ModelRefLike;
  readonly relevance: ModelRefLike;
  readonly provider?: 'auto' | 'wasm';
}

/** A package the app knows, as the model picker shows it. */
export interface ModelInfo {
  readonly id: string;
  readonly kind: 'vlm' | 'relevance';
  readonly title: string;
  /** `default`: ships with the app, works offline; `hub`: downloaded; `test`: a fixture. */
  readonly purpose: 'default' | 'hub' | 'test';
  readonly source:
    | { readonly kind: 'hub'; readonly repo: string; readonly revision: string }
    | { readonly kind: 'app' };
  /** What to pass as `ModelChoice.vlm` / `.relevance` to use it. */
  readonly ref: ModelRef;
  /** The weight variant this device would load (f16 ones only with shader-f16). */
  readonly variant: DtypeVariant;
  readonly variants: readonly DtypeVariant[];
  /** A relevance model with a learned head besides SigLIP's logit (the page then offers it). */
  readonly learnedHead: boolean;
}

export interface ModelList {
  readonly models: readonly ModelInfo[];
  /** Where models would run here, and whether the GPU has shader-f16. */
  readonly provider: 'webgpu' | 'wasm';
  readonly f16: boolean;
}

export interface ModelCacheListing {
  /** False when the browser gives no OPFS: nothing survives the page. */
  readonly persistent: boolean;
  readonly packages: readonly CachedPackage[];
  /** Bytes the cached packages take. */
  readonly bytes: number;
  /** navigator.storage.estimate(): the origin's usage and quota in bytes, when known. */
  readonly usage: number | null;
  readonly quota: number | null;
}

/** A model file being fetched (or found in the cache), for a download bar. */
export interface DownloadStatus {
  /** The package's id. */
  readonly model: string;
  /** Path of the file in the package, its place in the list. */
  readonly file: string;
  readonly fileIndex: number;
  readonly files: number;
  /** Bytes of this file so far, and its size (0 while unknown). */
  readonly bytes: number;
  readonly totalBytes: number;
  /** Bytes of the whole package so far, and its size (0 while some file's size is unknown). */
  readonly packageBytes: number;
  readonly packageTotalBytes: number;
  /** 0–100: of the package when its size is known, else of the file. */
  readonly percent: number;
  /** Recent download speed (0 for files from the cache). */
  readonly bytesPerSecond: number;
  readonly fromCache: boolean;
}

/**
 * Something the page should show beside the work, not an error: `wasm-fallback` — WebGPU failed
 * (`reason` says why) and the models run on the CPU backend; `cache-not-persistent` — downloads
 * are not kept after the page closes; `device-lost` — the GPU device was lost since the last
 * question (`reason` says why) and this one runs on a new device, the models loaded again.
 */
export interface Notice {
  readonly type: 'notice';
  readonly code: 'wasm-fallback' | 'cache-not-persistent' | 'device-lost';
  readonly message: string;
  readonly reason: ErrorInfo | null;
}

export interface BenchKernelsArgs {
  readonly shapes: readonly BenchShape[];
  readonly methods: readonly ReductionMethod[];
  readonly keepRatio: number;
  readonly runs: number;
  readonly cpu: boolean;
}

export interface Capabilities {
  readonly webgpu: boolean;
  readonly adapter: string | null;
  readonly f16: boolean;
  readonly webcodecs: boolean;
  /** Why WebGPU is not usable, when it is not. */
  readonly gpuError: ErrorInfo | null;
}

export interface OpenArgs {
  readonly file: Blob;
  readonly name: string;
  /** Number of frames to sample (1 to 256). */
  readonly frames: number;
  /** Longest edge of the thumbnails sent back as `frame` events (0: none). */
  readonly thumbnailEdge?: number;
}

export interface OpenResult {
  readonly info: VideoInfo;
  readonly frames: readonly FrameStamp[];
  /** Wall-clock milliseconds spent sampling (demux + decode). */
  readonly elapsedMs: number;
  /** Number of samples handed to the decoder (a few GOPs, never the whole video). */
  readonly decodedSamples: number;
  /** Bytes read from the file (container boxes and the decoded samples, never the whole file). */
  readonly bytesRead: number;
}

/** Events a request may produce before its result. */
export type PipelineEvent =
  | {
      readonly type: 'progress';
      readonly stage: string;
      readonly done: number;
      readonly total: number;
      /** Set while model files load: bytes, total, percent and speed. */
      readonly download?: DownloadStatus;
    }
  | Notice
  | { readonly type: 'video'; readonly info: VideoInfo }
  | { readonly type: 'selection'; readonly selection: Selection }
  | { readonly type: 'token'; readonly id: number; readonly text: string }
  | {
      readonly type: 'frame';
      readonly index: number;
      readonly t: number;
      readonly thumbnail: ImageBitmap | null;
    };

/** The open video's frames encoded ahead of the questions (`prepare`). */
export interface PrepareResult {
  readonly frames: number;
  /** False when the features were already there (nothing encoded). */
  readonly encoded: boolean;
  /** The VLM's vision encoder and the relevance image tower, when they ran. */
  readonly visionMs: number;
  readonly relevanceMs: number;
  /** Models loading (or downloading) included. */
  readonly elapsedMs: number;
}

/** What a piece of the engine's work gets: a signal that cancels it and where its events go. */
export interface Work {
  readonly signal: AbortSignal;
  emit(event: PipelineEvent, transfer?: Transferable[]): void;
}
