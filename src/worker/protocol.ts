// The pipeline worker's message protocol: the page (UI or the `kvtp` automation page) sends
// requests; the worker answers each with events (progress, frames, …), then exactly one result
// or error. A request can be cancelled by id. Big data stays in the worker; events carry what a
// page draws.

import type { ErrorInfo } from './errors.ts';
import type { BenchRow, BenchShape } from '../kvtp/bench.ts';
import type { PrefillBenchArgs, PrefillBenchResult } from '../vlm/bench-prefill.ts';
import type { ReductionMethod } from '../kvtp/types.ts';
import type { AskResult, AskSettings, Selection, WorkCounters } from './ask-types.ts';
import type { FrameStamp, VideoInfo } from '../video/types.ts';

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
}

export interface AskArgs {
  readonly question: string;
  readonly settings: AskSettings;
  /** Package ids (src/models/registry.ts), and where the models run. */
  readonly models: ModelChoice;
}

/**
 * The packages to ask with. `provider`: `auto` (the default) runs the models on WebGPU where the
 * page has it and on wasm otherwise; `wasm` keeps them on ONNX Runtime's CPU backend even with
 * WebGPU (the KVTP kernels still run on the GPU), for small models where GPU dispatch costs more
 * than it saves, or a GPU the WebGPU provider mishandles.
 */
export interface ModelChoice {
  readonly vlm: string;
  readonly relevance: string;
  readonly provider?: 'auto' | 'wasm';
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
    }
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
