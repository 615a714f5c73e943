// KVTP's selection for one question, in the method's words: the settings people choose (reduction
// method, allocation, keep ratio, temperature, floor, scoring head, seed) and, per frame, the
// score, the budget and the kept tokens with the original grid cells each stands for. Made by the
// pipeline (src/vlm), drawn by the page exactly as the pipeline used it.

import type { AllocationMode, ReductionMethod } from './types.ts';

/** Which relevance head scores frames: SigLIP's logit or the package's learned predictor. */
export type ScoreHead = 'logit' | 'learned';

export interface SelectionSettings {
  readonly method: ReductionMethod;
  readonly allocation: AllocationMode;
  /** ρ in (0, 1]. */
  readonly keepRatio: number;
  /** Softmax temperature T of the allocation. */
  readonly temperature: number;
  readonly minPerFrame: number;
  readonly head: ScoreHead;
  /** Seed of random pruning (and of sampling). */
  readonly seed: number;
}

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
