// The KVTP method's data, in its own words: frame scores → per-frame budgets → per-frame
// reduction with provenance → gathered kept tokens. Every operation exists twice behind one
// interface: a CPU reference (the semantics) and a GPU driver (WGSL kernels). Layouts are
// row-major, frame-major: tensor[frame][token][channel].

/** How per-frame budgets are derived from frame scores. */
export type AllocationMode = 'paper' | 'exact' | 'uniform' | 'hard';

/** How a frame's tokens are reduced to its budget. */
export type ReductionMethod = 'none' | 'random' | 'tome' | 'prumerge';

export interface AllocationParams {
  /** ρ: the global keep ratio, in (0, 1]. */
  readonly keepRatio: number;
  /** T: softmax temperature (2 in the paper). */
  readonly temperature: number;
  readonly mode: AllocationMode;
  /** N: tokens per frame. Optional in `paper` mode (then only rates are given). */
  readonly tokensPerFrame?: number;
  /** Minimum tokens per frame in `exact` mode (default 1). */
  readonly minPerFrame?: number;
  /**
   * The reduction the budgets are for (default `none`). Only `paper` mode depends on it: the
   * reference's ToMe removes ⌊N·(1 − r)⌋ tokens, the others keep ⌊N·min(r, 1)⌋.
   */
  readonly method?: ReductionMethod;
}

export interface Allocation {
  /** r_i = L·ρ·softmax((s − mean s)/T)_i (for `uniform`: ρ; for `hard`: 1 or 0 or the remainder share). */
  readonly rates: readonly number[];
  /** k_i, tokens kept per frame; absent only in `paper` mode without tokensPerFrame. */
  readonly keep?: readonly number[];
}

/**
 * Rows that live in a GPU buffer ([rows·width] f32, row-major): the buffer and its shape, with
 * nothing to read on the CPU. Only the GPU reduction (GpuKvtp.encodeReduce) takes them.
 */
export interface GpuRows {
  readonly kind: 'gpu-rows';
  readonly buffer: GPUBuffer;
  readonly rows: number;
  readonly width: number;
}

/** Rows on the CPU, or in a GPU buffer. */
export type Rows = Float32Array | GpuRows;

/**
 * L frames × N tokens of width D (features) and Dk (keys, default the features). The CPU
 * reference takes them on the CPU (`FrameTokens`); the GPU reduction also in GPU buffers
 * (`FrameTokens<Rows>`).
 */
export interface FrameTokens<F extends Rows = Float32Array> {
  readonly frames: number;
  /** N = grid[0] · grid[1]. */
  readonly tokens: number;
  readonly grid: readonly [h: number, w: number];
  readonly dim: number;
  /** [L·N·D] */
  readonly features: F;
  /** Key width; equals `dim` when keys are the features. */
  readonly keyDim: number;
  /** [L·N·Dk]; null: the features are the keys. */
  readonly keys: F | null;
  /** [L·N] importance per token (e.g. CLS attention); null: computed from keys (PruMerge). */
  readonly importance: Float32Array | null;
}

export interface ReduceParams {
  readonly method: ReductionMethod;
  /** k_i per frame, 0 ≤ k_i ≤ N. (`none` ignores it and keeps all N.) */
  readonly keep: readonly number[];
  /** Seed of `random`. */
  readonly seed?: number;
}

/** The result of reducing all frames and gathering their kept tokens. */
export interface Reduced {
  /** Kept tokens per frame (the k_i actually kept). */
  readonly keep: readonly number[];
  /** Start of frame i's tokens in `features` (in tokens; L + 1 entries). */
  readonly offsets: readonly number[];
  /** [T·D] kept tokens of all frames, time order, grid order within a frame. */
  readonly features: Float32Array;
  /** Per output row: the representative original token index in its frame. */
  readonly indices: Int32Array;
  /** Per output row: its frame. */
  readonly frameOf: Int32Array;
  /** Per output row: the original indices it stands for, ascending. */
  readonly groups: readonly (readonly number[])[];
}

/** Inputs of the relevance predictor head: L image embeddings, W question windows. */
export interface ScoreInput {
  /** [L·E] frame embeddings (any norm; the head normalizes). */
  readonly image: Float32Array;
  /** [W·E] text embeddings, one per window of the question. */
  readonly text: Float32Array;
  readonly frames: number;
  readonly windows: number;
  readonly dim: number;
  readonly head: PredictorHead;
}

/** s_i = max over windows of the head's logit for (image_i, text_w). */
export type PredictorHead =
  | { readonly kind: 'logit'; readonly scale: number; readonly bias: number }
  | { readonly kind: 'learned'; readonly weights: MlpHeadWeights };

/**
 * A small learned head: logit = W2 · act(W1 · [u, v, u ⊙ v] + b1) + b2, where u and v are the
 * L2-normalized image and text embeddings (E each), W1 is [H, 3E], W2 is [1, H].
 */
export interface MlpHeadWeights {
  readonly inputDim: number; // E
  readonly hidden: number; // H
  readonly activation: 'gelu' | 'relu';
  readonly w1: Float32Array; // [H·3E]
  readonly b1: Float32Array; // [H]
  readonly w2: Float32Array; // [H]
  readonly b2: number;
}

/** One backend (CPU reference or GPU driver) of every KVTP operation. */
export interface KvtpBackend {
  readonly name: 'cpu' | 'gpu';
  /** Frame scores s_i for all frames at once. */
  scores(input: ScoreInput): Promise<Float32Array>;
  /** Per-frame budgets from scores. */
  allocate(scores: ArrayLike<number>, params: AllocationParams): Promise<Allocation>;
  /** Scores, then budgets from them: on the GPU in one submit, the scores never read back between. */
  scoreAndAllocate(
    input: ScoreInput,
    params: AllocationParams,
  ): Promise<{ scores: Float32Array; allocation: Allocation }>;
  /** PruMerge importance without CLS attention: softmax_j(⟨mean(keys), k_j⟩ / √Dk) per frame. */
  importance(tokens: FrameTokens): Promise<Float32Array>;
  /** Reduce every frame to its budget and gather the kept tokens (one dispatch chain on GPU). */
  reduce(tokens: FrameTokens, params: ReduceParams): Promise<Reduced>;
  dispose(): void;
}
