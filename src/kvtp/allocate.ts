// Per-frame keep budgets from frame scores (the KVTP allocation). Shares are
// r_i = L·ρ·softmax((s − mean s)/T)_i, then by mode:
//   paper   as the reference code counts, which depends on the method: k_i = floor(N·min(r_i, 1))
//           (random, PruMerge, none; overflow above 1 is lost), and for ToMe, which removes
//           int(N·(1 − r_i)) tokens, k_i = N − floor(N·(1 − r_i)): one more than floor(N·r_i)
//           when N·r_i is not whole, all N when r_i ≥ 1, and at least 1 (the reference's loop
//           cannot remove a frame's last token). A value within PAPER_SNAP (relative) below a
//           whole number of tokens counts as that number: L·ρ·p carries rounding noise (double
//           here, f32 on the GPU; 3 equal scores at ρ 0.3 give r = 0.29999999999999993), and
//           noise must not move a budget across a whole number;
//   exact   the same shares water-filled into [m, N] so that Σ k_i = round(ρ·L·N) exactly:
//           x_i = clamp(λ·p_i, m, N) with λ such that Σ x_i = total, then floors plus one
//           token for the largest remainders (ties to the earlier frame); m = minPerFrame
//           (default 1), lowered to floor(total/L) when the total cannot give every frame m;
//   uniform k_i = round(ρ·N) for every frame (no KVTP);
//   hard    frames by descending score (ties to the earlier frame) keep all N tokens until the
//           total round(ρ·L·N) is spent; the next frame keeps the remainder, the rest nothing.
// round() is half up on the value a product of decimals stands for (roundTokens).
// This file is the reference; shaders/allocate.wgsl computes the same on the GPU.

import type { Allocation, AllocationParams, ReductionMethod } from './types.ts';

/** Check allocation inputs; throws a plain message (the CLI shows it as is). */
export function checkAllocation(scores: ArrayLike<number>, p: AllocationParams): void {
  checkAllocationParams(scores.length, p);
  checkScores(scores);
}

/** Throws a RangeError naming the first score that is not a finite number. */
export function checkScores(scores: ArrayLike<number>): void {
  for (let i = 0; i < scores.length; i++) {
    if (!Number.isFinite(scores[i])) throw new RangeError(`allocation: score ${i} is not a number`);
  }
}

/** The checks of `checkAllocation` that need only the number of frames, not their scores. */
export function checkAllocationParams(L: number, p: AllocationParams): void {
  if (L < 1) throw new RangeError('allocation: no frame scores');
  if (!(p.keepRatio > 0 && p.keepRatio <= 1)) {
    throw new RangeError(`allocation: keepRatio must be in (0, 1], got ${p.keepRatio}`);
  }
  if (!(p.temperature > 0)) {
    throw new RangeError(`allocation: temperature must be > 0, got ${p.temperature}`);
  }
  if (!['paper', 'exact', 'uniform', 'hard'].includes(p.mode)) {
    throw new RangeError(`allocation: unknown mode "${String(p.mode)}"`);
  }
  const N = p.tokensPerFrame;
  if (N === undefined) {
    if (p.mode !== 'paper') throw new RangeError(`allocation: ${p.mode} mode needs tokensPerFrame`);
  } else if (!(Number.isInteger(N) && N >= 1)) {
    throw new RangeError(`allocation: tokensPerFrame must be a positive integer, got ${N}`);
  }
  const m = p.minPerFrame;
  if (m !== undefined && !(Number.isInteger(m) && m >= 0)) {
    throw new RangeError(`allocation: minPerFrame must be a non-negative integer, got ${m}`);
  }
  if (p.method !== undefined && !['none', 'random', 'tome', 'prumerge'].includes(p.method)) {
    throw new RangeError(`allocation: unknown method "${String(p.method)}"`);
  }
}

/** z = (s − mean s)/T, shifted so that its maximum is 0 (log-shares up to a constant). */
export function logShares(scores: ArrayLike<number>, temperature: number): Float64Array {
  const L = scores.length;
  let mean = 0;
  for (let i = 0; i < L; i++) mean += scores[i]!;
  mean /= L;
  const z = Float64Array.from({ length: L }, (_, i) => (scores[i]! - mean) / temperature);
  const max = z.reduce((a, b) => Math.max(a, b), -Infinity);
  return z.map((v) => v - max);
}

/** softmax((s − mean s)/T), in double precision. */
export function shares(scores: ArrayLike<number>, temperature: number): Float64Array {
  const L = scores.length;
  let mean = 0;
  for (let i = 0; i < L; i++) mean += scores[i]!;
  mean /= L;
  const z = Float64Array.from({ length: L }, (_, i) => (scores[i]! - mean) / temperature);
  const max = z.reduce((a, b) => Math.max(a, b), -Infinity);
  let sum = 0;
  for (let i = 0; i < L; i++) sum += z[i] = Math.exp(z[i]! - max);
  for (let i = 0; i < L; i++) z[i]! /= sum;
  return z;
}

/** Relative slack of paper mode's floor: x within PAPER_SNAP·max(1, x) below an integer rounds up. */
export const PAPER_SNAP = 1e-5;

/** floor(x), a value within PAPER_SNAP·max(1, x) below a whole number counting as it. */
function snapFloor(x: number): number {
  return Math.floor(x + PAPER_SNAP * Math.max(1, x));
}

/**
 * Paper mode's budget of a frame with share `rate`, rounding noise forgiven: floor(N·min(r, 1)),
 * or for ToMe N − floor(N·(1 − r)) (all N when r ≥ 1, at least 1).
 */
export function paperKeep(rate: number, tokens: number, method: ReductionMethod = 'none'): number {
  if (method === 'tome') {
    return tokens - Math.min(tokens - 1, snapFloor(tokens * Math.max(0, 1 - rate)));
  }
  return Math.min(tokens, snapFloor(tokens * Math.min(rate, 1)));
}

/**
 * round(x) of a token count computed in double: a product like 0.7 · 3 · 5 = 10.499999999999998
 * rounds as the 10.5 it stands for (half up), not as its rounding noise.
 */
function roundTokens(x: number): number {
  return Math.round(x + 1e-9 * Math.max(1, Math.abs(x)));
}

/** The total an `exact` or `hard` allocation spends: round(ρ·L·N). */
export function totalBudget(frames: number, tokens: number, keepRatio: number): number {
  return Math.min(frames * tokens, roundTokens(keepRatio * frames * tokens));
}

/** What every frame keeps in `uniform` mode: round(ρ·N). */
export function uniformKeep(tokens: number, keepRatio: number): number {
  return Math.min(tokens, roundTokens(keepRatio * tokens));
}

/** The effective floor of `exact` mode. */
export function effectiveMin(frames: number, tokens: number, total: number, min = 1): number {
  return Math.min(min, tokens, Math.floor(total / frames));
}

/**
 * Water-filled real budgets: x_i = clamp(exp(y_i + μ), lo, hi) with y_i = z_i − max z (the
 * log-shares up to a constant) and μ found by bisection so that Σ x_i = total. Working with
 * the log-level μ keeps frames whose share underflows a float in the race.
 */
export function waterFill(y: ArrayLike<number>, lo: number, hi: number, total: number): number[] {
  const x = (mu: number) =>
    Array.from({ length: y.length }, (_, i) => Math.min(hi, Math.max(lo, Math.exp(y[i]! + mu))));
  const f = (mu: number) => x(mu).reduce((a, b) => a + b, 0);
  let a = -WATER_FLOOR;
  let b = Math.log(hi) - Math.min(...Array.from(y)) + 1;
  for (let it = 0; it < 100; it++) {
    const mid = (a + b) / 2;
    if (f(mid) < total) a = mid;
    else b = mid;
  }
  return x(b);
}

/** exp(−WATER_FLOOR) is zero for both f32 and the budgets: the lower end of μ's search. */
const WATER_FLOOR = 104;

/** Integer budgets from real ones summing to `total`: floors, then +1 for the largest remainders. */
function roundToTotal(x: ArrayLike<number>, cap: number, total: number): number[] {
  const k = Array.from({ length: x.length }, (_, i) => Math.min(cap, Math.floor(x[i]!)));
  let deficit = total - k.reduce((a, b) => a + b, 0);
  const order = Array.from({ length: x.length }, (_, i) => i)
    .filter((i) => k[i]! < cap)
    .sort((i, j) => x[j]! - k[j]! - (x[i]! - k[i]!) || i - j);
  for (const i of order) {
    if (deficit <= 0) break;
    k[i]!++;
    deficit--;
  }
  return k;
}

/** CPU reference of every allocation mode. */
export function allocateCpu(scores: ArrayLike<number>, params: AllocationParams): Allocation {
  checkAllocation(scores, params);
  const L = scores.length;
  const { keepRatio: rho, temperature: T, mode } = params;
  const N = params.tokensPerFrame;
  if (mode === 'uniform') {
    return { rates: Array(L).fill(rho), keep: Array(L).fill(uniformKeep(N!, rho)) };
  }
  if (mode === 'hard') {
    const total = totalBudget(L, N!, rho);
    const order = Array.from({ length: L }, (_, i) => i).sort(
      (i, j) => scores[j]! - scores[i]! || i - j,
    );
    const keep = Array<number>(L).fill(0);
    let left = total;
    for (const i of order) {
      keep[i] = Math.min(N!, left);
      left -= keep[i]!;
    }
    return { rates: keep.map((k) => k / N!), keep };
  }
  const p = shares(scores, T);
  const rates = Array.from(p, (v) => L * rho * v);
  if (mode === 'paper') {
    if (N === undefined) return { rates };
    return { rates, keep: rates.map((r) => paperKeep(r, N, params.method)) };
  }
  const total = totalBudget(L, N!, rho);
  const m = effectiveMin(L, N!, total, params.minPerFrame ?? 1);
  const x = waterFill(logShares(scores, T), m, N!, total);
  return { rates, keep: roundToTotal(x, N!, total) };
}
