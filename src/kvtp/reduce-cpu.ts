// CPU reference of importance, the per-frame reductions and the gather: the semantics that the
// WGSL kernels (shaders/importance.wgsl, random.wgsl, tome.wgsl, prumerge.wgsl, gather.wgsl)
// reproduce. Double precision throughout; every ordering breaks ties by the lower index.
//
//   none      keep all N tokens.
//   random    the k tokens with the smallest hash(seed, frame, index), kept in grid order.
//   tome      repeat until k tokens are left: current tokens (ordered by representative) split
//             into A (even positions) and B (odd); each B finds its most key-cosine-similar A;
//             the r = min(count − k, |B|) most similar B merge into their A. A merged token is
//             the mean of its original members rescaled to the largest member norm (features;
//             keys match by the direction of their members' sum, which is the same thing).
//   prumerge  keep the top k by importance; each kept token t becomes
//             f_t + Σ_{j ∈ nbr(t)} imp_j · f_j over its min(32, N − 1) most key-cosine-similar
//             other tokens; its group is {t} ∪ nbr(t) (groups of different tokens may overlap).
// k = 0 keeps nothing of the frame, whatever the method (except `none`).

import type { FrameTokens, ReduceParams, Reduced, SeparatorMode } from './types.ts';

/** Neighbours PruMerge adds to each kept token (at most; N − 1 when fewer). */
export const PRUMERGE_NEIGHBOURS = 32;

/** One frame's kept tokens: representatives ascending, their groups, their features. */
export interface FrameKept {
  readonly indices: number[];
  readonly groups: number[][];
  /** [k·D] */
  readonly features: Float64Array;
}

/** Smallest gap found at a decision (ranking cut, argmax) per frame; Infinity when none. */
export interface ReduceDiagnostics {
  margins: number[];
}

export function checkTokens(t: FrameTokens): void {
  const { frames: L, tokens: N, grid, dim: D, keyDim: Dk } = t;
  if (!(L >= 1 && N >= 1 && D >= 1 && Dk >= 1)) throw new RangeError('tokens: empty shape');
  if (grid[0] * grid[1] !== N) throw new RangeError(`tokens: grid ${grid.join('×')} is not ${N}`);
  if (t.features.length !== L * N * D)
    throw new RangeError(`tokens: features are not ${L}×${N}×${D}`);
  if (t.keys ? t.keys.length !== L * N * Dk : Dk !== D) {
    throw new RangeError(`tokens: keys are not ${L}×${N}×${Dk}`);
  }
  if (t.importance && t.importance.length !== L * N) {
    throw new RangeError(`tokens: importance is not ${L}×${N}`);
  }
}

export function checkReduce(t: FrameTokens, p: ReduceParams): void {
  if (!['none', 'random', 'tome', 'prumerge'].includes(p.method)) {
    throw new RangeError(`reduce: unknown method "${String(p.method)}"`);
  }
  if (p.method === 'none') return;
  if (p.keep.length !== t.frames) {
    throw new RangeError(`reduce: ${p.keep.length} budgets for ${t.frames} frames`);
  }
  p.keep.forEach((k, i) => {
    if (!(Number.isInteger(k) && k >= 0 && k <= t.tokens)) {
      throw new RangeError(`reduce: budget of frame ${i} must be an integer in [0, ${t.tokens}]`);
    }
  });
}

/** A u32 hash (PCG output permutation); shaders/random.wgsl has the same. */
export function pcgHash(v: number): number {
  const state = (Math.imul(v >>> 0, 747796405) + 2891336453) >>> 0;
  const word = Math.imul(((state >>> ((state >>> 28) + 4)) ^ state) >>> 0, 277803737) >>> 0;
  return ((word >>> 22) ^ word) >>> 0;
}

/** The random method's key of token `index` of `frame`. */
export function randomKey(seed: number, frame: number, index: number): number {
  return pcgHash((pcgHash((pcgHash(seed >>> 0) + frame) >>> 0) + index) >>> 0);
}

function row(a: Float32Array, r: number, dim: number): Float32Array {
  return a.subarray(r * dim, (r + 1) * dim);
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let c = 0; c < a.length; c++) s += a[c]! * b[c]!;
  return s;
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>, na: number, nb: number): number {
  return na > 0 && nb > 0 ? dot(a, b) / (na * nb) : 0;
}

/** Indices 0..n−1 ordered by `value` descending, ties by lower index. */
function byDescending(value: ArrayLike<number>, n: number): number[] {
  return Array.from({ length: n }, (_, i) => i).sort((i, j) => value[j]! - value[i]! || i - j);
}

/** The gap between the last chosen and first unchosen of a sorted descending list. */
function cutGap(sorted: number[], value: ArrayLike<number>, count: number): number {
  if (count <= 0 || count >= sorted.length) return Infinity;
  return value[sorted[count - 1]!]! - value[sorted[count]!]!;
}

/** PruMerge importance without CLS attention: softmax_j(⟨mean keys, k_j⟩ / √Dk) per frame. */
export function importanceCpu(t: FrameTokens): Float32Array {
  checkTokens(t);
  const { frames: L, tokens: N, keyDim: Dk } = t;
  const keys = t.keys ?? t.features;
  const out = new Float32Array(L * N);
  for (let f = 0; f < L; f++) {
    const mean = new Float64Array(Dk);
    for (let j = 0; j < N; j++) {
      const k = row(keys, f * N + j, Dk);
      for (let c = 0; c < Dk; c++) mean[c]! += k[c]! / N;
    }
    const logits = Array.from(
      { length: N },
      (_, j) => dot(mean, row(keys, f * N + j, Dk)) / Math.sqrt(Dk),
    );
    const max = Math.max(...logits);
    const e = logits.map((x) => Math.exp(x - max));
    const sum = e.reduce((a, b) => a + b, 0);
    e.forEach((x, j) => (out[f * N + j] = x / sum));
  }
  return out;
}

interface FrameView {
  frame: number;
  n: number;
  dim: number;
  keyDim: number;
  features: Float32Array;
  keys: Float32Array;
}

function view(t: FrameTokens, f: number): FrameView {
  const { tokens: N, dim: D, keyDim: Dk } = t;
  const keys = t.keys ?? t.features;
  return {
    frame: f,
    n: N,
    dim: D,
    keyDim: Dk,
    features: t.features.subarray(f * N * D, (f + 1) * N * D),
    keys: keys.subarray(f * N * Dk, (f + 1) * N * Dk),
  };
}

function copyRows(v: FrameView, indices: number[]): Float64Array {
  const out = new Float64Array(indices.length * v.dim);
  indices.forEach((j, r) => out.set(row(v.features, j, v.dim), r * v.dim));
  return out;
}

function keepAll(v: FrameView): FrameKept {
  const indices = Array.from({ length: v.n }, (_, j) => j);
  return { indices, groups: indices.map((j) => [j]), features: copyRows(v, indices) };
}

export function randomFrame(v: FrameView, k: number, seed: number): FrameKept {
  const key = Array.from({ length: v.n }, (_, j) => randomKey(seed, v.frame, j));
  const order = Array.from({ length: v.n }, (_, j) => j).sort((i, j) => key[i]! - key[j]! || i - j);
  const indices = order.slice(0, k).sort((a, b) => a - b);
  return { indices, groups: indices.map((j) => [j]), features: copyRows(v, indices) };
}

function norm(a: ArrayLike<number>): number {
  return Math.sqrt(dot(a, a));
}

/** Norm-preserving mean of original rows `members` of `rows` [n·dim]. */
export function mergedRow(rows: Float32Array, members: number[], dim: number): Float64Array {
  const mean = new Float64Array(dim);
  let maxNorm = 0;
  for (const j of members) {
    const r = row(rows, j, dim);
    maxNorm = Math.max(maxNorm, norm(r));
    for (let c = 0; c < dim; c++) mean[c]! += r[c]! / members.length;
  }
  const n = norm(mean);
  if (n > 0) for (let c = 0; c < dim; c++) mean[c]! *= maxNorm / n;
  return mean;
}

export function tomeFrame(v: FrameView, k: number, diag?: { margin: number }): FrameKept {
  if (k === 0) return { indices: [], groups: [], features: new Float64Array(0) };
  const { n: N, keyDim: Dk } = v;
  let cur = Array.from({ length: N }, (_, j) => j);
  const members = new Map<number, number[]>(cur.map((j) => [j, [j]]));
  const keySum = new Map<number, Float64Array>(
    cur.map((j) => [j, Float64Array.from(row(v.keys, j, Dk))]),
  );
  while (cur.length > k) {
    const A = cur.filter((_, p) => p % 2 === 0);
    const B = cur.filter((_, p) => p % 2 === 1);
    const r = Math.min(cur.length - k, B.length);
    const aNorm = A.map((a) => norm(keySum.get(a)!));
    const sim = new Float64Array(B.length);
    const partner = new Int32Array(B.length);
    B.forEach((b, i) => {
      const kb = keySum.get(b)!;
      const nb = norm(kb);
      const sims = A.map((a, q) => cosine(kb, keySum.get(a)!, nb, aNorm[q]!));
      const order = byDescending(sims, sims.length);
      partner[i] = order[0]!;
      sim[i] = sims[order[0]!]!;
      if (diag && order.length > 1) {
        diag.margin = Math.min(diag.margin, sims[order[0]!]! - sims[order[1]!]!);
      }
    });
    const order = byDescending(sim, B.length);
    if (diag) diag.margin = Math.min(diag.margin, cutGap(order, sim, r));
    const gone = new Set<number>();
    for (const i of order.slice(0, r)) {
      const a = A[partner[i]!]!;
      const b = B[i]!;
      members.get(a)!.push(...members.get(b)!);
      const ka = keySum.get(a)!;
      keySum.get(b)!.forEach((x, c) => (ka[c]! += x));
      gone.add(b);
    }
    cur = cur.filter((j) => !gone.has(j));
  }
  const groups = cur.map((j) => members.get(j)!.sort((a, b) => a - b));
  const features = new Float64Array(cur.length * v.dim);
  groups.forEach((g, r) => features.set(mergedRow(v.features, g, v.dim), r * v.dim));
  return { indices: cur, groups, features };
}

export function prumergeFrame(
  v: FrameView,
  k: number,
  importance: ArrayLike<number>,
  diag?: { margin: number },
): FrameKept {
  const { n: N, dim: D, keyDim: Dk } = v;
  const order = byDescending(importance, N);
  if (diag) diag.margin = Math.min(diag.margin, cutGap(order, importance, k));
  const indices = order.slice(0, k).sort((a, b) => a - b);
  const m = Math.min(PRUMERGE_NEIGHBOURS, N - 1);
  const norms = Array.from({ length: N }, (_, j) => norm(row(v.keys, j, Dk)));
  const features = copyRows(v, indices);
  const groups = indices.map((t, r) => {
    const kt = row(v.keys, t, Dk);
    const sims = Array.from({ length: N }, (_, j) =>
      j === t ? -Infinity : cosine(kt, row(v.keys, j, Dk), norms[t]!, norms[j]!),
    );
    const near = byDescending(sims, N);
    if (diag) diag.margin = Math.min(diag.margin, cutGap(near, sims, m));
    const nbr = near.slice(0, m);
    for (const j of nbr) {
      const w = importance[j]!;
      const fj = row(v.features, j, D);
      for (let c = 0; c < D; c++) features[r * D + c]! += w * fj[c]!;
    }
    return [t, ...nbr].sort((a, b) => a - b);
  });
  return { indices, groups, features };
}

/** Reduce every frame of `t` (CPU reference). */
export function reduceFramesCpu(
  t: FrameTokens,
  p: ReduceParams,
  diagnostics?: ReduceDiagnostics,
): FrameKept[] {
  checkTokens(t);
  checkReduce(t, p);
  const importance = p.method === 'prumerge' ? (t.importance ?? importanceCpu(t)) : null;
  const margins: number[] = [];
  const out = Array.from({ length: t.frames }, (_, f) => {
    const v = view(t, f);
    const k = p.keep[f] ?? t.tokens;
    const diag = { margin: Infinity };
    let kept: FrameKept;
    if (p.method === 'none' || (k === t.tokens && p.method !== 'prumerge')) kept = keepAll(v);
    else if (p.method === 'random') kept = randomFrame(v, k, p.seed ?? 0);
    else if (p.method === 'tome') kept = tomeFrame(v, k, diag);
    else kept = prumergeFrame(v, k, importance!.subarray(f * t.tokens, (f + 1) * t.tokens), diag);
    margins.push(diag.margin);
    return kept;
  });
  if (diagnostics) diagnostics.margins = margins;
  return out;
}

/**
 * Gather kept tokens of all frames into one sequence, time order, grid order within a frame;
 * separators: after each frame (`frame`), or after the last kept token of every grid row that
 * kept a token (`row`, by the representative's row).
 */
export function gatherCpu(
  frames: readonly FrameKept[],
  dim: number,
  gridWidth: number,
  separators: { mode: SeparatorMode; embedding: Float32Array | null } = {
    mode: 'none',
    embedding: null,
  },
): Reduced {
  const mode = separators.mode;
  const sep = separators.embedding ?? new Float32Array(dim);
  if (mode !== 'none' && sep.length !== dim) {
    throw new RangeError(`gather: separator embedding has width ${sep.length}, tokens ${dim}`);
  }
  const rows: { feature: ArrayLike<number>; index: number; frame: number; group: number[] }[] = [];
  const offsets = [0];
  frames.forEach((fk, f) => {
    fk.indices.forEach((index, r) => {
      rows.push({
        feature: fk.features.subarray(r * dim, (r + 1) * dim),
        index,
        frame: f,
        group: fk.groups[r]!,
      });
      const next = fk.indices[r + 1];
      const rowEnds =
        next === undefined || Math.floor(next / gridWidth) !== Math.floor(index / gridWidth);
      if (mode === 'row' && rowEnds) rows.push({ feature: sep, index: -1, frame: f, group: [] });
    });
    if (mode === 'frame') rows.push({ feature: sep, index: -1, frame: f, group: [] });
    offsets.push(rows.length);
  });
  const features = new Float32Array(rows.length * dim);
  rows.forEach((r, i) => features.set(r.feature, i * dim));
  return {
    keep: frames.map((fk) => fk.indices.length),
    offsets,
    features,
    indices: Int32Array.from(rows, (r) => r.index),
    frameOf: Int32Array.from(rows, (r) => r.frame),
    groups: rows.map((r) => r.group),
  };
}
