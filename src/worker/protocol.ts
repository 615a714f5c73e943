// The pipeline worker's message protocol: the page (UI or the `kvtp` automation page) sends
// requests; the worker answers each with events (progress, frames, …), then exactly one result
// or error. A request can be cancelled by id. Big data stays in the worker; events carry what a
// page draws.

import type { ErrorInfo } from '../core/errors.ts';
import type { BenchRow, BenchShape } from '../kvtp/bench.ts';
import type { PrefillBenchArgs, PrefillBenchResult } from '../vlm/bench-prefill.ts';
import type { ReductionMethod } from '../kvtp/types.ts';
import type { AskResult, AskSettings, Selection, WorkCounters } from '../engine/types.ts';
import type { FrameStamp, VideoInfo } from '../video/types.ts';
import type { CachedPackage } from '../models/cache.ts';
import type { DtypeVariant } from '../models/manifest.ts';
import type { ModelRef, ModelRefLike } from '../models/resolve.ts';

export type { CachedFile, CachedPackage } from '../models/cache.ts';
export type { FolderFile, ModelRef, ModelRefLike } from '../models/resolve.ts';

/** Every command the worker understands: its arguments and its result. */
export interface Commands {
  /** What the worker's environment offers (WebGPU, adapter, f16, WebCodecs). */
  capabilities: { args: Record<string, never>; result: Capabilities };
  /** Open a video and sample `frames` frames from it; replaces (and cancels) any open video. */
  open: { args: OpenArgs; result: OpenResult };
  /** The open video (the last `open` that answered a result), or null. */
  video: { args: Record<string, never>; result: Omit<OpenResult, 'elapsedMs'> | null };
  /** Ask about the open video: selection event, token events, then the answer and its figures. */
  ask: { args: AskArgs; result: AskResult };
  /** Re-run only the KVTP selection for a question (new settings, no decode, no encode). */
  select: { args: AskArgs; result: Selection };
  /** How often each expensive step ran since the worker started. */
  counters: { args: Record<string, never>; result: WorkCounters };
  /** Time a decoder's prefill and decoding (for `npm run bench:prefill`). */
  benchPrefill: { args: PrefillBenchArgs; result: PrefillBenchResult };
  /** Time the KVTP kernels on generated tokens (for `npm run bench:kernels`). */
  benchKernels: { args: BenchKernelsArgs; result: { rows: BenchRow[] } };
  /** The packages the app knows (for the model picker), with the variant this device loads. */
  listModels: { args: { readonly provider?: 'auto' | 'wasm' }; result: ModelList };
  /** What the persistent model cache holds, per package (files, bytes, complete or partial). */
  modelCache: { args: { readonly provider?: 'auto' | 'wasm' }; result: ModelCacheListing };
  /**
   * Empty the model cache: every package, or only `package` (a `CachedPackage.key`; error
   * `not-cached` when there is no such package). Answers what is left.
   */
  clearModelCache: { args: { readonly package?: string }; result: ModelCacheListing };
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

export type CommandName = keyof Commands;
export type ArgsOf<K extends CommandName> = Commands[K]['args'];
export type ResultOf<K extends CommandName> = Commands[K]['result'];

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

export type ToWorker =
  | {
      readonly type: 'request';
      readonly id: number;
      readonly command: CommandName;
      readonly args: unknown;
    }
  | { readonly type: 'cancel'; readonly id: number };

export type FromWorker =
  | { readonly type: 'event'; readonly id: number; readonly event: PipelineEvent }
  | { readonly type: 'result'; readonly id: number; readonly result: unknown }
  | { readonly type: 'error'; readonly id: number; readonly error: ErrorInfo };
