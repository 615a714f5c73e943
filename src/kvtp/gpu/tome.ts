// The method-specific parts of the reduction chain on the GPU: ToMe's rounds (tome.wgsl),
// PruMerge's importance, selection and neighbours (importance.wgsl, prumerge.wgsl) and row
// norms (norms.wgsl). Dispatch sizes come from what the host knows: ToMe's token counts per
// frame and round follow from the budgets alone, and PruMerge's tiles from k_f.

import importanceWgsl from '../../../shaders/importance.wgsl?raw';
import normsWgsl from '../../../shaders/norms.wgsl?raw';
import prumergeWgsl from '../../../shaders/prumerge.wgsl?raw';
import tomeWgsl from '../../../shaders/tome.wgsl?raw';
import type { GpuContext } from '../../gpu/device.ts';
import { KernelMethod, ReduceParams, type ReduceParamValues } from './layouts.ts';
import type { BindingKind, ChainBuffers, KernelFamily } from './kernels.ts';
import type { FrameTokens } from '../types.ts';
import type { VectorWidths } from './wgsl.ts';

/** What a chain needs from its backend: the device and compiled kernel families. */
export interface ChainKernels {
  readonly ctx: GpuContext;
  family(
    name: string,
    code: string,
    bindings: BindingKind[],
    widths?: VectorWidths,
    overrides?: Record<string, number>,
  ): KernelFamily;
}

/** One reduction being recorded: its shape, budgets and the buffers the methods share. */
export interface Chain {
  readonly k: ChainKernels;
  readonly enc: GPUCommandEncoder;
  readonly t: FrameTokens;
  /** k_f, at most N. */
  readonly kept: readonly number[];
  readonly base: GPUBuffer;
  readonly keepBuf: GPUBuffer;
  readonly features: GPUBuffer;
  readonly keys: GPUBuffer;
  readonly assign: GPUBuffer;
  readonly members: GPUBuffer;
  readonly spans: GPUBuffer;
  /** Buffers released with the chain. */
  readonly temps: ChainBuffers;
  readonly values: ReduceParamValues;
  readonly wg: number;
}

const U: BindingKind = 'uniform';
const R: BindingKind = 'read';
const W: BindingKind = 'storage';
const TILE = 8; // tome.wgsl TILE
const PRUMERGE_ROWS = 8; // prumerge.wgsl ROWS

/** Workgroups as (x, y) within the per-dimension limit. */
export function grid2d(groups: number, max: number): [number, number] {
  const x = Math.max(1, Math.min(groups, max));
  return [x, Math.max(1, Math.ceil(groups / x))];
}

/** Tokens of each frame before every ToMe round: counts[r][f] (k = 0 frames start empty). */
export function tomeCounts(tokens: number, keep: readonly number[]): number[][] {
  const rounds: number[][] = [];
  let c = keep.map((k) => (k === 0 ? 0 : tokens));
  while (c.some((x, f) => x > keep[f]!)) {
    rounds.push(c);
    c = c.map((x, f) => (x > keep[f]! ? x - Math.min(x - keep[f]!, Math.floor(x / 2)) : x));
  }
  return rounds;
}

/**
 * matchPairs' workgroup: `split` invocations share a tile of 8 B rows (splitting its A blocks),
 * `tiles` tiles per workgroup. The split is the one that leaves the fewest idle invocations in
 * groups of four (as a CPU-emulated GPU runs them, and as subgroups run on real GPUs).
 */
export function matchLayout(tokens: number, wg: number): { split: number; tiles: number } {
  const tiles = Math.max(1, Math.ceil(Math.floor(tokens / 2) / TILE));
  const blocks = Math.max(1, Math.ceil(Math.ceil(tokens / 2) / TILE));
  let split = 1;
  let cost = Infinity;
  for (const s of [1, 2, 4, 8]) {
    if (s > blocks) break;
    const c = Math.ceil((tiles * s) / 4) * Math.ceil(blocks / s);
    if (c < cost) [split, cost] = [s, c];
  }
  const perGroup = Math.min(wg / split, 2 ** Math.ceil(Math.log2(tiles)));
  return { split, tiles: Math.max(1, perGroup) };
}

/**
 * Record ToMe's rounds; `assign` ends with every token's representative, and the returned
 * buffer [L·N·D] holds every kept token's value at its representative's row.
 */
export function encodeTome(c: Chain): GPUBuffer {
  const { k, enc, t, kept, temps, wg } = c;
  const { frames: L, tokens: N, dim: D, keyDim: Dk } = t;
  const half = Math.ceil(N / 2);
  const bindings: BindingKind[] = [U, R, R, W, W, W, W, W, W];
  const widths = { keys: Dk, features: D };
  const family = k.family('tome', tomeWgsl, bindings, widths);
  const { split, tiles } = matchLayout(N, wg);
  const match = k.family('tome', tomeWgsl, bindings, widths, { WG: split * tiles });
  const state = [0, 1].map(() => temps.storage(L * (N + 1) * 4, 'tome state'));
  const ckey = temps.storage(L * N * Dk * 4, 'current keys');
  const cval = temps.storage(L * N * D * 4, 'current values');
  const norms = temps.storage(2 * L * N * 4, 'key and value norms');
  const matches = temps.storage(2 * L * half * 8, 'matches');
  const params = temps.uniform(ReduceParams.pack({ ...c.values, split }), 'tome params');
  enc.copyBufferToBuffer(c.keys, 0, ckey, 0, L * N * Dk * 4);
  enc.copyBufferToBuffer(c.features, 0, cval, 0, L * N * D * 4);
  const groups = [0, 1].map((i) => [
    params,
    c.keepBuf,
    state[1 - i]!,
    state[i]!,
    c.assign,
    ckey,
    cval,
    norms,
    matches,
  ]);
  const rounds = groups.map((g) => family.bind(g));
  const matching = groups.map((g) => match.bind(g));
  family.dispatch(enc, 'init', rounds[0]!, Math.ceil(N / wg), L); // writes state[0]
  tomeCounts(N, kept).forEach((counts, r) => {
    // round r reads state[r % 2] and writes state[1 − r % 2]; workgroups cover the B tokens
    // of the busiest frame still above its budget, and the most merges of a frame
    const busy = counts.filter((x, f) => x > kept[f]!).map((x) => Math.floor(x / 2));
    const x = Math.ceil(Math.ceil(Math.max(...busy) / TILE) / tiles);
    const merges = Math.max(...counts.map((x, f) => Math.min(Math.max(0, x - kept[f]!), x >> 1)));
    match.dispatch(enc, 'matchPairs', matching[1 - (r % 2)]!, x, L);
    family.dispatch(enc, 'mergeRound', rounds[1 - (r % 2)]!, L);
    family.dispatch(enc, 'mergeValues', rounds[1 - (r % 2)]!, Math.ceil(merges / wg), L);
  });
  return cval;
}

/** Record PruMerge: importance (unless given), key norms, top-k, neighbours. */
export function encodePrumerge(c: Chain): void {
  const { k, enc, t, kept, temps, wg } = c;
  const { frames: L, tokens: N, keyDim: Dk } = t;
  const importance = t.importance
    ? temps.upload(t.importance, 'importance')
    : temps.storage(L * N * 4, 'importance');
  const knorm = temps.storage(L * N * 4, 'key norms');
  // computed importance brings the key norms from the same loads
  if (!t.importance) encodeImportance(k, enc, t, c.keys, importance, knorm, temps, wg);
  else encodeRowNorms(c, c.keys, knorm, Dk);
  // budgets, then the first work-list tile of each frame
  const work = new Uint32Array(2 * L + 1);
  work.set(kept);
  let tiles = 0;
  kept.forEach((x, f) => {
    work[L + f] = tiles;
    tiles += Math.ceil(x / PRUMERGE_ROWS);
  });
  work[2 * L] = tiles;
  const keepWork = temps.upload(work, 'budgets and tiles');
  const params = temps.uniform(ReduceParams.pack({ ...c.values, tiles }), 'prumerge params');
  const family = k.family('prumerge', prumergeWgsl, [U, R, R, R, R, W, W, W, W], {
    keys: Dk,
  });
  const keptList = temps.storage(L * N * 4, 'kept by rank');
  const group = family.bind([
    params,
    keepWork,
    importance,
    c.keys,
    knorm,
    c.assign,
    keptList,
    c.members,
    c.spans,
  ]);
  family.dispatch(enc, 'selectTop', group, Math.ceil(N / wg), L);
  if (tiles > 0) {
    const [x, y] = grid2d(Math.ceil(tiles / wg), k.ctx.limits.maxComputeWorkgroupsPerDimension);
    family.dispatch(enc, 'neighbours', group, x, y);
  }
}

/** Record the importance chain for `keys` into `enc`: `out` [L·N], and the key norms [L·N]. */
export function encodeImportance(
  k: ChainKernels,
  enc: GPUCommandEncoder,
  t: FrameTokens,
  keys: GPUBuffer,
  out: GPUBuffer,
  norms: GPUBuffer,
  temps: ChainBuffers,
  wg: number,
): void {
  const bindings: BindingKind[] = [U, R, W, W, W];
  const family = k.family('importance', importanceWgsl, bindings, { keys: t.keyDim });
  const params = temps.uniform(reduceValues(t), 'importance params');
  const mean = temps.storage(t.frames * t.keyDim * 4, 'mean keys');
  const group = family.bind([params, keys, mean, out, norms]);
  family.dispatch(enc, 'meanKeys', group, Math.ceil(t.keyDim / wg), t.frames); // (over-covers vec4 widths)
  family.dispatch(enc, 'logits', group, Math.ceil(t.tokens / wg), t.frames);
  family.dispatch(enc, 'softmax', group, 1, t.frames);
}

/** Record the Euclidean norm of every [L·N] row of width `width` of `rows` into `out`. */
export function encodeRowNorms(c: Chain, rows: GPUBuffer, out: GPUBuffer, width: number): void {
  const { k, t, wg } = c;
  const family = k.family('norms', normsWgsl, [U, R, W], { keys: width });
  const params = c.temps.uniform(ReduceParams.pack({ ...c.values, width }), 'norms params');
  const groups = Math.ceil((t.frames * t.tokens) / wg);
  const [x, y] = grid2d(groups, k.ctx.limits.maxComputeWorkgroupsPerDimension);
  family.dispatch(c.enc, 'rowNorms', family.bind([params, rows, out]), x, y);
}

/** Params of a chain that only needs the shape (importance). */
export function reduceValues(t: FrameTokens): ArrayBuffer {
  return ReduceParams.pack({
    frames: t.frames,
    tokens: t.tokens,
    dim: t.dim,
    keyDim: t.keyDim,
    gridW: t.grid[1],
    half: Math.ceil(t.tokens / 2),
    neighbours: 0,
    method: KernelMethod.Copy,
    sepMode: 0,
    seed: 0,
    maxRows: 0,
    width: t.keyDim,
    split: 1,
    knownLayout: 0,
    tiles: 0,
    pad: 0,
  });
}
