// What asking a question involves, as the page and the command line see it: the settings of a
// run, the per-frame selection KVTP made (scores, budgets, kept groups), and the answer's
// figures. Produced by the worker, drawn by the page exactly as the pipeline used them.

import type { ReductionMethod } from '../kvtp/types.ts';
import type { GpuTraffic } from '../vlm/gpu-meter.ts';

/** Allocation as people choose it: KVTP (exact water-filling), the paper's exact formula, uniform, hard keyframes. */
export type AllocationChoice = 'kvtp' | 'paper' | 'uniform' | 'hard';

/** Which relevance head scores frames: SigLIP's logit or the package's learned predictor. */
export type ScoreHead = 'logit' | 'learned';

export interface SelectionSettings {
  readonly method: ReductionMethod;
  readonly allocation: AllocationChoice;
  /** ρ in (0, 1]. */
  readonly keepRatio: number;
  /** Softmax temperature T of the allocation. */
  readonly temperature: number;
  readonly minPerFrame: number;
  readonly head: ScoreHead;
  /** Seed of random pruning (and of sampling). */
  readonly seed: number;
}

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

/** One frame as the pipeline used it. */
export interface FrameSelection {
  /** Timestamp in seconds. */
  readonly t: number;
  readonly score: number;
  /** Tokens kept (k_i). */
  readonly keep: number;
  /** Tokens the frame had (N). */
  readonly tokens: number;
  /** Representative original index of each kept token, in the order they reach the model. */
  readonly indices: readonly number[];
  /** Original indices each kept token stands for. */
  readonly groups: readonly (readonly number[])[];
}

/** KVTP's selection for one question: what the kept-token view draws. */
export interface Selection {
  readonly question: string;
  readonly settings: SelectionSettings;
  /** Token grid of a frame, [rows, columns]: it covers the model's whole (padded) input image. */
  readonly grid: readonly [number, number];
  /** Part of the model's input image the frame fills (top-left), as fractions [width, height]. */
  readonly imageFit: readonly [number, number];
  readonly frames: readonly FrameSelection[];
  readonly visualTotal: number;
  readonly visualKept: number;
}

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
    /** Relevance: frame embeddings (0 when reused), question embedding and scores. */
    readonly relevanceMs: number;
    /** Allocation and reduction, with the read back of budgets and kept groups. */
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
