// CPU reference of importance, the per-frame reductions and the gather: the semantics that the
// WGSL kernels (shaders/importance.wgsl, random.wgsl, tome.wgsl, prumerge.wgsl, gather.wgsl)
// reproduce. Double precision throughout; every ordering breaks ties by the lower index.
//
//   none      keep all N tokens.
//   random    the k tokens with the smallest hash(seed, frame, index), kept in grid order.
//   tome      ToMe as the KVTP reference code does it (see tomeFrame): rounds over the current
//             sequence (A = even positions, B = odd), each B to its most key-cosine-similar A,
//             the min(count − k, |B|) most similar B merge into their A; a merged token is the
//             mean of the current values merged, rescaled to their largest norm. Reported in
//             grid order of the representatives.
//   prumerge  keep the top k by importance; each kept token t becomes
//             f_t + Σ_{j ∈ nbr(t)} imp_j · f_j over its min(32, N − 1) most key-cosine-similar
//             other tokens; its group is {t} ∪ nbr(t) (groups of different tokens may overlap).
// k = 0 keeps nothing of the frame, whatever the method (except `none`).

import type { FrameTokens, ReduceParams, Reduced, Rows } from './types.ts';

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

/** Floats `rows` holds: an array's length, or a GPU buffer's rows × width. */
function floatsOf(rows: Rows): number {
  return rows instanceof Float32Array ? rows.length : rows.rows * rows.width;
}

export function checkTokens(t: FrameTokens<Rows>): void {
  const { frames: L, tokens: N, grid, dim: D, keyDim: Dk } = t;
  if (!(L >= 1 && N >= 1 && D >= 1 && Dk >= 1)) throw new RangeError('tokens: empty shape');
  if (grid[0] * grid[1] !== N) throw new RangeError(`tokens: grid ${grid.join('×')} is not ${N}`);
  if (floatsOf(t.features) !== L * N * D)
    throw new RangeError(`tokens: features are not ${L}×${N}×${D}`);
  if (t.keys ? floatsOf(t.keys) !== L * N * Dk : Dk !== D) {
    throw new RangeError(`tokens: keys are not ${L}×${N}×${Dk}`);
  }
  if (t.importance && t.importance.length !== L * N) {
    throw new RangeError(`tokens: importance is not ${L}×${N}`);
  }
}

export function checkReduce(t: FrameTokens<Rows>, p: ReduceParams): void {
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
function pcgHash(v: number): number {
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

function randomFrame(v: FrameView, k: number, seed: number): FrameKept {
  const key = Array.from({ length: v.n }, (_, j) => randomKey(seed, v.frame, j));
  const order = Array.from({ length: v.n }, (_, j) => j).sort((i, j) => key[i]! - key[j]! || i - j);
  const indices = order.slice(0, k).sort((a, b) => a - b);
  return { indices, groups: indices.map((j) => [j]), features: copyRows(v, indices) };
}

function norm(a: ArrayLike<number>): number {
  return Math.sqrt(dot(a, a));
}

/**
 * ToMe as the KVTP reference code does it (`tome` in llava/model/llava_arch.py of 1999Lyd/KVTP),
 * on one frame, down to k tokens. Each round splits the current sequence into A (even positions)
 * and B (odd); every B finds its most key-cosine-similar A (ties: the lower A position); the
 * r = min(count − k, |B|) most similar B (ties: the lower B position) merge into their A. A
 * merged A becomes the mean of the current values of itself and of the B tokens merged into it
 * this round (each counted once), rescaled to the largest L2 norm among those values; its key
 * is the mean of their current keys rescaled to that same largest feature norm (the reference's
 * choice). A zero mean stays zero (the reference would divide by zero). The next round's
 * sequence is every A in order, then the unmerged B in order. The kept tokens are reported in
 * grid order of their representatives (each A keeps its original index), with their groups.
 */
export function tomeFrame(v: FrameView, k: number, diag?: { margin: number }): FrameKept {
  if (k === 0) return { indices: [], groups: [], features: new Float64Array(0) };
  const { n: N, dim: D, keyDim: Dk } = v;
  // current values and keys, at their representative's row
  const val = Float64Array.from(v.features);
  const key = Float64Array.from(v.keys);
  const valNorm = Array.from({ length: N }, (_, j) => norm(val.subarray(j * D, (j + 1) * D)));
  const keyNorm = Array.from({ length: N }, (_, j) => norm(key.subarray(j * Dk, (j + 1) * Dk)));
  const members = Array.from({ length: N }, (_, j) => [j]);
  let seq = Array.from({ length: N }, (_, j) => j);
  while (seq.length > k) {
    const A = seq.filter((_, p) => p % 2 === 0);
    const B = seq.filter((_, p) => p % 2 === 1);
    const r = Math.min(seq.length - k, B.length);
    const sim = new Float64Array(B.length);
    const partner = new Int32Array(B.length);
    B.forEach((b, i) => {
      const kb = key.subarray(b * Dk, (b + 1) * Dk);
      const sims = A.map((a) =>
        cosine(kb, key.subarray(a * Dk, (a + 1) * Dk), keyNorm[b]!, keyNorm[a]!),
      );
      const order = byDescending(sims, sims.length);
      partner[i] = order[0]!;
      sim[i] = sims[order[0]!]!;
      if (diag && order.length > 1) {
        diag.margin = Math.min(diag.margin, sims[order[0]!]! - sims[order[1]!]!);
      }
    });
    const order = byDescending(sim, B.length);
    if (diag) diag.margin = Math.min(diag.margin, cutGap(order, sim, r));
    // the B positions merged into each A position, by rank (as the reference lists them)
    const into = new Map<number, number[]>();
    const merged = new Set<number>();
    for (const i of order.slice(0, r)) {
      const list = into.get(partner[i]!) ?? [];
      list.push(i);
      into.set(partner[i]!, list);
      merged.add(i);
    }
    for (const [q, list] of into) {
      const a = A[q]!;
      const bs = list.map((i) => B[i]!);
      const maxNorm = Math.max(valNorm[a]!, ...bs.map((b) => valNorm[b]!));
      valNorm[a] = meanInto(val, a, bs, D, maxNorm);
      keyNorm[a] = meanInto(key, a, bs, Dk, maxNorm);
      for (const b of bs) members[a]!.push(...members[b]!);
    }
    seq = [...A, ...B.filter((_, i) => !merged.has(i))];
  }
  const indices = seq.slice().sort((a, b) => a - b);
  const groups = indices.map((j) => members[j]!.sort((a, b) => a - b));
  const features = new Float64Array(indices.length * D);
  indices.forEach((j, r) => features.set(val.subarray(j * D, (j + 1) * D), r * D));
  return { indices, groups, features };
}

/**
 * Row `a` of `rows` [·width] becomes the mean of rows a and `bs`, rescaled to `target` (a zero
 * mean stays zero); returns its new norm.
 */
function meanInto(
  rows: Float64Array,
  a: number,
  bs: number[],
  width: number,
  target: number,
): number {
  const mean = new Float64Array(width);
  for (const j of [a, ...bs]) {
    for (let c = 0; c < width; c++) mean[c]! += rows[j * width + c]! / (bs.length + 1);
  }
  const n = norm(mean);
  const scale = n > 0 ? target / n : 0;
  for (let c = 0; c < width; c++) rows[a * width + c] = mean[c]! * scale;
  return n > 0 ? norm(rows.subarray(a * width, (a + 1) * width)) : 0;
}

function prumergeFrame(
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

/** Gather kept tokens of all frames into one sequence, time order, grid order within a frame. */
export function gatherCpu(frames: readonly FrameKept[], dim: number): Reduced {
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
    });
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
