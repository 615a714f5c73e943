// The pipeline worker's message protocol: the page (UI or the `kvtp` automation page) sends
// requests; the worker answers each with events (progress, frames, …), then exactly one result
// or error. A request can be cancelled by id. Big data stays in the worker; events carry what a
// page draws. The values that cross it are the engine's (src/engine/types.ts), re-exported here
// for the page.

import type { ErrorInfo } from '../core/errors.ts';
import type { BenchRow } from '../kvtp/bench.ts';
import type { PrefillBenchArgs, PrefillBenchResult } from '../vlm/bench-prefill.ts';
import type {
  AskArgs,
  AskResult,
  BenchKernelsArgs,
  Capabilities,
  ModelCacheListing,
  ModelList,
  OpenArgs,
  ModelChoice,
  OpenResult,
  PipelineEvent,
  PrepareResult,
  Selection,
} from '../engine/types.ts';
import type { EngineCounters } from '../engine/engine.ts';

export type * from '../engine/types.ts';
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
  /** Encode the open video's frames with these models ahead of the questions (cancellable). */
  prepare: { args: { readonly models: ModelChoice }; result: PrepareResult };
  /** Re-run only the KVTP selection for a question (new settings, no decode, no encode). */
  select: { args: AskArgs; result: Selection };
  /** How often each expensive step ran, and the GPU objects our code made on the device. */
  counters: { args: Record<string, never>; result: EngineCounters };
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

export type CommandName = keyof Commands;
export type ArgsOf<K extends CommandName> = Commands[K]['args'];
export type ResultOf<K extends CommandName> = Commands[K]['result'];

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
