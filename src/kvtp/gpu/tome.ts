// ToMe on the GPU (shaders/tome.wgsl), as the KVTP reference code does it: its plan on the host
// — the token count of every frame before every round follows from the budgets alone
// (`tomeCounts`), and so does matchPairs' workgroup layout (`matchLayout`) — and its encoder,
// three dispatches per round. The reference is src/kvtp/reduce-cpu.ts tomeFrame.

import tomeWgsl from '../../../shaders/tome.wgsl?raw';
import type { Chain } from './chain.ts';
import { R, U, W, type KernelSpec } from './kernels.ts';
import { ReduceParams } from './layouts.ts';

const TOME: KernelSpec = { name: 'tome', code: tomeWgsl, bindings: [U, R, R, W, W, W, W, W, W] };
const TILE = 8; // tome.wgsl TILE

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
  const { kernels, encoder: enc, tokens: t, kept, temps, wg } = c;
  const { frames: L, tokens: N, dim: D, keyDim: Dk } = t;
  const half = Math.ceil(N / 2);
  const widths = { keys: Dk, features: D };
  const family = kernels.family(TOME, { widths });
  const { split, tiles } = matchLayout(N, wg);
  const match = kernels.family(TOME, { widths, overrides: { WG: split * tiles } });
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
