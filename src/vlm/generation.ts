// What a generation is asked for and what it reports: sampling and stopping options, and the
// result with its timings, where the KV cache lived, and the GPU traffic of the prefill and of
// every step (src/vlm/gpu-meter.ts). Types only.

import type { GpuTraffic } from './gpu-meter.ts';
import type { SamplingParams } from './next-token.ts';

export interface GenerateOptions extends SamplingParams {
  readonly maxNewTokens: number;
  readonly seed?: number;
  /** Candidates kept per step for sampling (greedy needs 1). */
  readonly candidates?: number;
  readonly signal?: AbortSignal;
  /** Also return the prompt's last logits row (reads it back: diagnostics and tests only). */
  readonly prefillLogits?: boolean;
  /** Called once the prompt is prefilled and the first token's candidates are known. */
  onPrefilled?(): void;
  /** Called with every new token id as it comes (stop tokens excluded). */
  onToken?(id: number): void;
}

/** One decoding step: the cache length ORT's present.* had, and the GPU traffic of the step. */
export interface StepRecord extends GpuTraffic {
  readonly cacheLength: number;
}

export interface GenerateResult {
  readonly ids: number[];
  readonly stopped: 'eos' | 'max-tokens' | 'cancelled';
  /** performance.now() when the first token's candidates were known (prefill done). */
  readonly firstTokenAt: number;
  /** Milliseconds of the decoder's prefill (all chunks) up to the first token's candidates. */
  readonly firstTokenMs: number;
  /** Milliseconds of the decode steps after the first token. */
  readonly decodeMs: number;
  readonly promptTokens: number;
  /** Where the KV cache lived between steps, and how many full logits rows came to the CPU. */
  readonly cache: 'gpu' | 'cpu';
  /** `static`: preallocated and written in place; `feedback`: each step's present.* fed back. */
  readonly cacheMode: 'static' | 'feedback';
  readonly logitRowsRead: number;
  /** Cache length after the last step (prompt + tokens fed back). */
  readonly cacheLength: number;
  /** GPU traffic of the prefill (top-K included; 0s where the meter is unavailable). */
  readonly prefill: GpuTraffic;
  /** One record per token fed back through the cache, in order. */
  readonly steps: readonly StepRecord[];
  /** Static cache buffers made for this generation (0 when the previous ones had room). */
  readonly cacheBuffersMade: number;
  readonly lastPrefillLogits?: Float32Array;
}
