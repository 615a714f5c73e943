// The KVTP reference semantics on small cases worked out by hand, and their properties; ToMe
// also against tests/fixtures/tome-reference.json, made by tools/kvtp/tome_reference.py (a port
// of the KVTP reference code's `tome`).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { allocateCpu, paperKeep, shares, totalBudget } from '../../src/kvtp/allocate.ts';
import {
  gatherCpu,
  importanceCpu,
  randomKey,
  reduceFramesCpu,
  tomeFrame,
} from '../../src/kvtp/reduce-cpu.ts';
import { erf, scoresCpu } from '../../src/kvtp/scores.ts';
import type { FrameTokens } from '../../src/kvtp/types.ts';

function tokens(
  frames: number,
  grid: [number, number],
  dim: number,
  features: number[] | Float32Array,
): FrameTokens {
  return {
    frames,
    tokens: grid[0] * grid[1],
    grid,
    dim,
    features: Float32Array.from(features),
    keyDim: dim,
    keys: null,
    importance: null,
  };
}

function randoms(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

const sum = (a: readonly number[]) => a.reduce((x, y) => x + y, 0);

describe('scores', () => {
  it('SigLIP head: scale · cos + bias, max over windows', () => {
    const s = scoresCpu({
      image: Float32Array.from([1, 0, 0, 2]),
      text: Float32Array.from([3, 0, 1, 1]),
      frames: 2,
      windows: 2,
      dim: 2,
      head: { kind: 'logit', scale: 10, bias: -1 },
    });
    // frame 0 = (1,0): cos 1 with window 0 → 9; frame 1 = (0,1): cos √½ with window 1 → 6.07
    expect(s[0]).toBeCloseTo(9, 5);
    expect(s[1]).toBeCloseTo(10 * Math.SQRT1_2 - 1, 5);
  });
  it('MLP head on [u, v, u⊙v]', () => {
    const s = scoresCpu({
      image: Float32Array.from([2, 0]),
      text: Float32Array.from([0, 5]),
      frames: 1,
      windows: 1,
      dim: 2,
      head: {
        kind: 'learned',
        weights: {
          inputDim: 2,
          hidden: 1,
          activation: 'relu',
          w1: Float32Array.from([1, 0, 0, 2, 0, 0]),
          b1: Float32Array.from([0.5]),
          w2: Float32Array.from([3]),
          b2: -1,
        },
      },
    });
    expect(s[0]).toBeCloseTo(3 * (1 + 2 + 0.5) - 1, 5); // u=(1,0), v=(0,1)
  });
  it('erf matches known values within 2e-7', () => {
    expect(Math.abs(erf(0.5) - 0.5204998778)).toBeLessThan(2e-7);
    expect(Math.abs(erf(-1.5) + 0.9661051465)).toBeLessThan(2e-7);
  });
});

describe('allocation', () => {
  const scores = [4, 0, -1, 2, 9, 0.5, 3, -4];
  it('paper: floor(N·min(r, 1)) with shares L·ρ·softmax((s−mean)/T)', () => {
    const a = allocateCpu(scores, {
      keepRatio: 0.3,
      temperature: 2,
      mode: 'paper',
      tokensPerFrame: 64,
    });
    const p = shares(scores, 2);
    expect(sum(a.rates)).toBeCloseTo(8 * 0.3, 10);
    a.rates.forEach((r, i) => expect(r).toBeCloseTo(8 * 0.3 * p[i]!, 12));
    expect(a.keep).toEqual(a.rates.map((r) => paperKeep(r, 64)));
    a.keep!.forEach((k, i) => expect(Math.abs(k - 64 * Math.min(1, a.rates[i]!))).toBeLessThan(1));
    expect(a.rates[4]).toBeGreaterThan(1); // the 9 overflows: the paper loses it
    expect(sum(a.keep!)).toBeLessThan(Math.round(0.3 * 8 * 64));
  });
  it('paper with ToMe: N − floor(N·(1 − r)), as the reference removes int(N·(1 − r))', () => {
    const p = { keepRatio: 0.3, temperature: 2, mode: 'paper', tokensPerFrame: 64 } as const;
    const floors = allocateCpu(scores, p);
    const tome = allocateCpu(scores, { ...p, method: 'tome' });
    expect(tome.rates).toEqual(floors.rates);
    tome.rates.forEach((r, i) => {
      expect(tome.keep![i]).toBe(r >= 1 ? 64 : 64 - Math.floor(64 * (1 - r)));
      // one more than floor(N·r) where N·r is not whole, the same where it is, N at r ≥ 1
      expect(tome.keep![i]).toBe(r >= 1 ? 64 : Math.ceil(64 * r));
      if (r < 1) expect(tome.keep![i]).toBe(floors.keep![i]! + 1);
    });
    for (const method of ['none', 'random', 'prumerge'] as const) {
      expect(allocateCpu(scores, { ...p, method }).keep).toEqual(floors.keep);
    }
    // exact, uniform and hard do not depend on the method
    for (const mode of ['exact', 'uniform', 'hard'] as const) {
      const q = { ...p, mode };
      expect(allocateCpu(scores, { ...q, method: 'tome' }).keep).toEqual(
        allocateCpu(scores, q).keep,
      );
    }
  });
  it('paper with ToMe at whole-number edges: N·r whole keeps N·r, noise forgiven', () => {
    // 3 equal scores at ρ 0.3: r = 0.29999999999999993 (noise below 0.3); N·(1 − r) = 7 + noise
    const three = { keepRatio: 0.3, temperature: 2, mode: 'paper', tokensPerFrame: 10 } as const;
    expect(allocateCpu([2, 2, 2], three).keep).toEqual([3, 3, 3]);
    expect(allocateCpu([2, 2, 2], { ...three, method: 'tome' }).keep).toEqual([3, 3, 3]);
    expect(paperKeep(0.3, 10, 'tome')).toBe(3);
    expect(paperKeep(0.29999999999999993, 10, 'tome')).toBe(3);
    expect(paperKeep(0.30000000000000004, 10, 'tome')).toBe(3);
    expect(paperKeep(0.3001, 10, 'tome')).toBe(4);
    expect(paperKeep(0.2999, 10, 'tome')).toBe(3);
    expect(paperKeep(0.25, 4, 'tome')).toBe(1);
    expect(paperKeep(0.5, 169, 'tome')).toBe(85); // 169 − floor(84.5)
    expect(paperKeep(0.5, 169)).toBe(84);
    expect(paperKeep(1, 169, 'tome')).toBe(169);
    expect(paperKeep(1.7, 169, 'tome')).toBe(169);
    expect(paperKeep(0.99999999, 729, 'tome')).toBe(729);
    // the reference's loop cannot remove a frame's last token
    expect(paperKeep(1e-9, 729, 'tome')).toBe(1);
    expect(paperKeep(0, 5, 'tome')).toBe(1);
    // equal scores over many ratios: every frame keeps N − floor(N·(1 − ρ)) of the decimal ρ
    for (let tenths = 1; tenths <= 10; tenths++) {
      const rho = tenths / 10;
      for (const [L, N] of [
        [3, 10],
        [7, 169],
        [32, 196],
      ] as const) {
        const a = allocateCpu(Array<number>(L).fill(1), {
          keepRatio: rho,
          temperature: 2,
          mode: 'paper',
          tokensPerFrame: N,
          method: 'tome',
        });
        const removed = Math.floor((N * (10 - tenths)) / 10); // exact in integers
        expect(a.keep, `ρ ${rho} L ${L} N ${N}`).toEqual(Array(L).fill(N - removed));
      }
    }
  });
  it('rejects an unknown method', () => {
    expect(() =>
      allocateCpu([1], {
        keepRatio: 0.5,
        temperature: 2,
        mode: 'paper',
        tokensPerFrame: 4,
        method: 'tome-grid' as 'tome',
      }),
    ).toThrow(/unknown method "tome-grid"/);
  });
  it('paper without tokensPerFrame gives rates only', () => {
    const a = allocateCpu([1, 2], { keepRatio: 0.5, temperature: 1, mode: 'paper' });
    expect(a.keep).toBeUndefined();
    expect(a.rates[0]! + a.rates[1]!).toBeCloseTo(1, 12);
  });
  it('exact: total is round(ρLN), overflow water-filled, every frame ≥ min, ≤ N', () => {
    for (const rho of [0.05, 0.1, 0.2, 0.3, 0.5, 0.9, 1]) {
      for (const T of [0.1, 0.5, 2, 10]) {
        const a = allocateCpu(scores, {
          keepRatio: rho,
          temperature: T,
          mode: 'exact',
          tokensPerFrame: 64,
        });
        expect(sum(a.keep!)).toBe(Math.round(rho * 8 * 64));
        a.keep!.forEach((k) => expect(k >= 1 && k <= 64).toBe(true));
      }
    }
  });
  it('exact: a rate above 1 fills its frame and hands the rest on', () => {
    // T small: frame 0 dominates (r_0 ≈ 2); ρ = 0.5 of 4 frames × 10 tokens = 20 → 10 + 8 + 1 + 1
    const a = allocateCpu([5, 4, 0, 0], {
      keepRatio: 0.5,
      temperature: 0.05,
      mode: 'exact',
      tokensPerFrame: 10,
    });
    expect(a.keep).toEqual([10, 8, 1, 1]);
    const b = allocateCpu([5, 4, 0, 0], {
      keepRatio: 0.5,
      temperature: 0.05,
      mode: 'exact',
      tokensPerFrame: 10,
      minPerFrame: 0,
    });
    expect(b.keep).toEqual([10, 10, 0, 0]);
  });
  it('many rates above 1, worked by hand: each mode keeps what it promises', () => {
    // L 8, ρ 0.5, N 10, T 2: mean 3.75, shares ∝ e^3.125 (×3) and e^−1.875 (×5), a ratio of e^5;
    // r = 4·p: 1.3187 for the three top frames, 0.0089 for the others; total round(40) = 40.
    const scores = [10, 10, 10, 0, 0, 0, 0, 0];
    const base = { keepRatio: 0.5, temperature: 2, tokensPerFrame: 10 } as const;
    const big = Math.exp(5) / (3 * Math.exp(5) + 5);
    const exact = allocateCpu(scores, { ...base, mode: 'exact' });
    exact.rates.forEach((r, i) => expect(r).toBeCloseTo(4 * (i < 3 ? big : big / Math.exp(5)), 12));
    expect(exact.rates.filter((r) => r > 1)).toHaveLength(3);
    // the three full frames hold 30; the 10 left go to the other five, 2 each
    expect(exact.keep).toEqual([10, 10, 10, 2, 2, 2, 2, 2]);
    // paper: the overflow above 1 is lost, and 0.089 tokens floor to none
    expect(allocateCpu(scores, { ...base, mode: 'paper' }).keep).toEqual([
      10, 10, 10, 0, 0, 0, 0, 0,
    ]);
    expect(allocateCpu(scores, { ...base, mode: 'hard' }).keep).toEqual([
      10, 10, 10, 10, 0, 0, 0, 0,
    ]);
    expect(allocateCpu(scores, { ...base, mode: 'uniform' }).keep).toEqual(Array(8).fill(5));
  });
  it('equal scores: budgets are exact at whole-number boundaries (no token lost to rounding)', () => {
    // with equal scores r_i = ρ, so paper keeps floor(N·ρ) and exact spreads round(ρ·L·N)
    // evenly; ρ = j/10 makes every boundary a whole number worked out in integers here
    for (let L = 1; L <= 64; L++) {
      for (let j = 1; j <= 9; j++) {
        for (const N of [1, 5, 10, 64, 169, 196, 729]) {
          const p = { keepRatio: j / 10, temperature: 2, tokensPerFrame: N };
          const scores = Array<number>(L).fill(0.7);
          const what = `L ${L}, ρ ${j / 10}, N ${N}`;
          const paper = allocateCpu(scores, { ...p, mode: 'paper' }).keep!;
          expect(paper, what).toEqual(Array(L).fill(Math.floor((N * j) / 10)));
          const total = Math.floor((2 * j * L * N + 10) / 20); // round half up of j·L·N/10
          expect(totalBudget(L, N, j / 10), what).toBe(total);
          const even = Math.floor(total / L);
          const exact = allocateCpu(scores, { ...p, mode: 'exact' }).keep!;
          expect(exact, what).toEqual(
            Array.from({ length: L }, (_, i) => even + (i < total - even * L ? 1 : 0)),
          );
          const uniform = allocateCpu(scores, { ...p, mode: 'uniform' }).keep!;
          expect(uniform[0], what).toBe(Math.floor((2 * j * N + 10) / 20));
        }
      }
    }
    // the reviewer's cases: 3 × 0.3 × 10 and 9 × 0.1 × 10
    const paper = (L: number, rho: number) =>
      allocateCpu(Array<number>(L).fill(1), {
        keepRatio: rho,
        temperature: 2,
        mode: 'paper',
        tokensPerFrame: 10,
      }).keep;
    expect(paper(3, 0.3)).toEqual([3, 3, 3]);
    expect(paper(9, 0.1)).toEqual(Array(9).fill(1));
  }, 60_000); // 16 000 allocations: seconds on a busy 2-core machine
  it('paperKeep forgives rounding noise only', () => {
    expect(paperKeep(0.29999999999999993, 10)).toBe(3);
    expect(paperKeep(0.2999, 10)).toBe(2);
    expect(paperKeep(1.7, 10)).toBe(10);
    expect(paperKeep(0.99999999, 729)).toBe(729);
    expect(paperKeep(0.999 / 729, 729)).toBe(0);
    expect(paperKeep(2 / 729, 729)).toBe(2);
  });
  it('exact: equal scores split evenly, remainders to the earlier frames', () => {
    const a = allocateCpu([1, 1, 1], {
      keepRatio: 0.5,
      temperature: 2,
      mode: 'exact',
      tokensPerFrame: 5,
    });
    expect(a.keep).toEqual([3, 3, 2]); // round(7.5) = 8
  });
  it('exact: a total too small for the floor lowers it', () => {
    const a = allocateCpu([0, 1, 2, 3], {
      keepRatio: 0.05,
      temperature: 2,
      mode: 'exact',
      tokensPerFrame: 10,
      minPerFrame: 3,
    });
    expect(sum(a.keep!)).toBe(2);
  });
  it('uniform: round(ρN) everywhere', () => {
    const a = allocateCpu(scores, {
      keepRatio: 0.2,
      temperature: 2,
      mode: 'uniform',
      tokensPerFrame: 196,
    });
    expect(a.keep).toEqual(Array(8).fill(39));
  });
  it('hard: top frames whole, one remainder, the rest nothing', () => {
    const a = allocateCpu([1, 5, 3, 5, 0], {
      keepRatio: 0.5,
      temperature: 2,
      mode: 'hard',
      tokensPerFrame: 10,
    });
    expect(a.keep).toEqual([0, 10, 5, 10, 0]); // 25 tokens; tie 5,5 → frame 1 first
  });
  it('rejects bad input with plain messages', () => {
    expect(() =>
      allocateCpu([], { keepRatio: 0.2, temperature: 2, mode: 'exact', tokensPerFrame: 4 }),
    ).toThrow(/no frame/);
    expect(() =>
      allocateCpu([1], { keepRatio: 0, temperature: 2, mode: 'exact', tokensPerFrame: 4 }),
    ).toThrow(/keepRatio/);
    expect(() => allocateCpu([1], { keepRatio: 0.5, temperature: 2, mode: 'exact' })).toThrow(
      /tokensPerFrame/,
    );
  });
});

describe('reduction', () => {
  it('random: k tokens in grid order, same seed same result, other seed other result', () => {
    const t = tokens(2, [4, 4], 3, randoms(2 * 16 * 3, 1));
    const a = reduceFramesCpu(t, { method: 'random', keep: [5, 5], seed: 7 });
    const b = reduceFramesCpu(t, { method: 'random', keep: [5, 5], seed: 7 });
    const c = reduceFramesCpu(t, { method: 'random', keep: [5, 5], seed: 8 });
    expect(a).toEqual(b);
    expect(a[0]!.indices).not.toEqual(c[0]!.indices);
    expect(a[0]!.indices).not.toEqual(a[1]!.indices);
    for (const f of a) expect(f.indices).toEqual([...f.indices].sort((x, y) => x - y));
    const key = (j: number) => randomKey(7, 0, j);
    const expected = Array.from({ length: 16 }, (_, j) => j)
      .sort((i, j) => key(i) - key(j))
      .slice(0, 5);
    expect(a[0]!.indices).toEqual(expected.sort((x, y) => x - y));
  });

  it('ToMe by hand: 4 tokens to 2', () => {
    // keys: t0=(1,0) t1=(1,0.1) t2=(0,1) t3=(0.1,1); A={t0,t2}, B={t1,t3}; t1→t0, t3→t2, both merged.
    const t = tokens(1, [2, 2], 2, [1, 0, 1, 0.1, 0, 1, 0.1, 1]);
    const [f] = reduceFramesCpu(t, { method: 'tome', keep: [2] });
    expect(f!.indices).toEqual([0, 2]);
    expect(f!.groups).toEqual([
      [0, 1],
      [2, 3],
    ]);
    const mean = [1, 0.05];
    const scale = Math.hypot(1, 0.1) / Math.hypot(...mean);
    expect(f!.features[0]).toBeCloseTo(mean[0]! * scale, 6);
    expect(f!.features[1]).toBeCloseTo(mean[1]! * scale, 6);
  });

  it('ToMe by hand: 5 tokens to 1 takes three rounds', () => {
    const t = tokens(1, [1, 5], 1, [1, 2, 3, 4, 5]);
    const [f] = reduceFramesCpu(t, { method: 'tome', keep: [1] });
    expect(f!.indices).toEqual([0]);
    expect(f!.groups).toEqual([[0, 1, 2, 3, 4]]);
    expect(f!.features[0]).toBeCloseTo(5, 12); // mean 3, rescaled to the largest norm 5
  });

  it('ToMe by hand: N = 3 to 2, a tie broken by the lower A position', () => {
    // t0 = (2, 0), t1 = (1, 1), t2 = (0, 2): A = {t0, t2}, B = {t1}; cos(t1, t0) = cos(t1, t2)
    // = 1/√2 exactly, so t1 goes to t0 (the lower position). t0 becomes mean(t0, t1) = (1.5, 0.5)
    // rescaled to the larger norm 2.
    const t = tokens(1, [1, 3], 2, [2, 0, 1, 1, 0, 2]);
    const [f] = reduceFramesCpu(t, { method: 'tome', keep: [2] });
    expect(f!.indices).toEqual([0, 2]);
    expect(f!.groups).toEqual([[0, 1], [2]]);
    const s = 2 / Math.hypot(1.5, 0.5);
    expect(Array.from(f!.features)).toEqual(
      [1.5 * s, 0.5 * s, 0, 2].map((x) => expect.closeTo(x, 12)),
    );
  });

  it('ToMe by hand: N = 3 to 1 in two rounds merges the current values', () => {
    // round 1 as above: the sequence is [t0' = (3, 1)·2/√10·…, t2]; round 2: A = {t0'}, B = {t2};
    // t0'' = mean(t0', t2) rescaled to max(|t0'|, |t2|) = 2. Means of the originals would give
    // (1, 1)·√2 instead.
    const t = tokens(1, [1, 3], 2, [2, 0, 1, 1, 0, 2]);
    const [f] = reduceFramesCpu(t, { method: 'tome', keep: [1] });
    expect(f!.indices).toEqual([0]);
    expect(f!.groups).toEqual([[0, 1, 2]]);
    const s1 = 2 / Math.hypot(1.5, 0.5);
    const mean = [(1.5 * s1 + 0) / 2, (0.5 * s1 + 2) / 2];
    const s2 = 2 / Math.hypot(mean[0]!, mean[1]!);
    expect(f!.features[0]).toBeCloseTo(mean[0]! * s2, 12);
    expect(f!.features[1]).toBeCloseTo(mean[1]! * s2, 12);
    expect(f!.features[0]).not.toBeCloseTo(Math.SQRT2, 2);
  });

  it('ToMe by hand: an odd 3×3 grid where round 3 follows the rescaled keys', () => {
    // values v = [1, 1, 10, 10, 1, 1, 1, 1, 1] (D = 1), unit keys at angles
    // [0°, 10°, 90°, 80°, 45°, 50°, 150°, 143°, 140°] (Dk = 2).
    // Round 1 (9 → 5): A = t0 t2 t4 t6 t8, B = t1 t3 t5 t7, all merge: t1→t0, t3→t2, t5→t4,
    //   t7→t8. Each merged key is the mean of two unit keys rescaled to the largest value norm
    //   of the pair: t0 at 5° with norm 1, t2 at 85° with norm 10, t4 at 47.5°, t8 at 141.5°.
    // Round 2 (5 → 3): sequence t0 t2 t4 t6 t8: A = t0 t4 t8, B = t2 t6: t2→t4 (37.5° away),
    //   t6→t8 (8.5°). t4's key is the mean of (10 at 85°) and (1 at 47.5°): about 81.6°, norm 10.
    //   t8's is the mean of (1 at 141.5°) and (1 at 150°): 145.75°.
    // Round 3 (3 → 2): sequence t0 t4 t8: A = t0 t8, B = t4: 81.6° is 64° from t8 and 77° from
    //   t0, so t4 → t8. (Summing the original unit keys instead puts t4 at about 66°, nearer t0.)
    const deg = [0, 10, 90, 80, 45, 50, 150, 143, 140].map((a) => (a * Math.PI) / 180);
    const t: FrameTokens = {
      ...tokens(1, [3, 3], 1, [1, 1, 10, 10, 1, 1, 1, 1, 1]),
      keyDim: 2,
      keys: Float32Array.from(deg.flatMap((a) => [Math.cos(a), Math.sin(a)])),
    };
    const [f] = reduceFramesCpu(t, { method: 'tome', keep: [2] });
    expect(f!.indices).toEqual([0, 8]);
    expect(f!.groups).toEqual([
      [0, 1],
      [2, 3, 4, 5, 6, 7, 8],
    ]);
    // a positive 1-D value is its own direction: every merge ends at the largest norm
    expect(Array.from(f!.features)).toEqual([expect.closeTo(1, 6), expect.closeTo(10, 6)]);
    // k = 1: a fourth round merges t8 into t0
    const [one] = reduceFramesCpu(t, { method: 'tome', keep: [1] });
    expect(one!.indices).toEqual([0]);
    expect(one!.groups).toEqual([[0, 1, 2, 3, 4, 5, 6, 7, 8]]);
    expect(one!.features[0]).toBeCloseTo(10, 6);
  });

  it('ToMe against the reference port: 1 to 6 rounds, odd grids, k = 1 (1e-4 relative)', () => {
    const cases = tomeReference();
    expect(new Set(cases.map((c) => c.rounds))).toEqual(new Set([1, 2, 3, 4, 5, 6]));
    for (const c of cases) {
      const [f] = reduceFramesCpu(referenceTokens(c), { method: 'tome', keep: [c.input.keep] });
      expect(f!.indices, c.name).toEqual(c.indices);
      expect(f!.groups, c.name).toEqual(c.groups);
      c.features.flat().forEach((x, i) => {
        expect(Math.abs(f!.features[i]! - x), `${c.name} [${i}]`).toBeLessThanOrEqual(
          1e-4 * Math.max(Math.abs(x), 1e-3),
        );
      });
    }
  });

  it('ToMe: groups partition the frame on many shapes and budgets (property)', () => {
    let seed = 100;
    for (const grid of [
      [1, 1],
      [1, 2],
      [1, 3],
      [3, 1],
      [3, 3],
      [2, 5],
      [5, 5],
      [7, 7],
      [4, 9],
      [13, 13],
    ] as [number, number][]) {
      const N = grid[0] * grid[1];
      for (const k of new Set([0, 1, 2, Math.floor(N / 3), Math.ceil(N / 2), N - 1, N])) {
        if (k < 0 || k > N) continue;
        const t = tokens(2, grid, 3, randoms(2 * N * 3, seed++));
        const frames = reduceFramesCpu(t, { method: 'tome', keep: [k, N - k] });
        frames.forEach((f, i) => {
          const want = i === 0 ? k : N - k;
          expect(f.indices).toHaveLength(want);
          expect(f.indices).toEqual([...f.indices].sort((a, b) => a - b));
          const all = f.groups.flat().sort((a, b) => a - b);
          expect(all, `${grid.join('×')} k ${want}`).toEqual(
            want === 0 ? [] : Array.from({ length: N }, (_, j) => j),
          );
          f.indices.forEach((rep, r) => expect(f.groups[r]![0]).toBe(Math.min(...f.groups[r]!)));
          f.indices.forEach((rep, r) => expect(f.groups[r]).toContain(rep));
        });
      }
    }
  });

  it('ToMe: groups are disjoint and cover every token, budgets met exactly', () => {
    const t = tokens(3, [5, 7], 6, randoms(3 * 35 * 6, 3));
    for (const keep of [
      [1, 2, 3],
      [35, 17, 18],
      [34, 9, 4],
    ]) {
      const frames = reduceFramesCpu(t, { method: 'tome', keep });
      frames.forEach((f, i) => {
        expect(f.indices.length).toBe(keep[i]);
        const all = f.groups.flat().sort((a, b) => a - b);
        expect(all).toEqual(Array.from({ length: 35 }, (_, j) => j));
        f.indices.forEach((rep, r) => expect(f.groups[r]).toContain(rep));
      });
    }
  });

  it('PruMerge by hand: top-k by importance plus weighted neighbours', () => {
    const t: FrameTokens = {
      ...tokens(1, [1, 3], 1, [1, 2, 4]),
      keys: Float32Array.from([1, 1, -1]),
      keyDim: 1,
      importance: Float32Array.from([0.2, 0.5, 0.3]),
    };
    const [f] = reduceFramesCpu(t, { method: 'prumerge', keep: [1] });
    // token 1 kept; its 2 neighbours by cosine: token 0 (cos 1) then token 2 (cos −1)
    expect(f!.indices).toEqual([1]);
    expect(f!.groups).toEqual([[0, 1, 2]]);
    expect(f!.features[0]).toBeCloseTo(2 + 0.2 * 1 + 0.3 * 4, 6);
  });

  it('importance without CLS: softmax of ⟨mean key, k_j⟩/√D', () => {
    const t = tokens(1, [1, 2], 2, [1, 0, 3, 0]);
    const imp = importanceCpu(t); // mean (2,0): logits 2/√2, 6/√2
    const e0 = Math.exp(2 / Math.SQRT2);
    const e1 = Math.exp(6 / Math.SQRT2);
    expect(imp[0]).toBeCloseTo(e0 / (e0 + e1), 6);
    expect(imp[1]).toBeCloseTo(e1 / (e0 + e1), 6);
  });

  it('k = 0 keeps nothing; none keeps all', () => {
    const t = tokens(2, [2, 2], 2, randoms(16, 4));
    for (const method of ['random', 'tome', 'prumerge'] as const) {
      const frames = reduceFramesCpu(t, { method, keep: [0, 4] });
      expect(frames[0]!.indices).toEqual([]);
      expect(frames[1]!.indices).toEqual([0, 1, 2, 3]);
    }
    expect(reduceFramesCpu(t, { method: 'none', keep: [] })[0]!.indices).toEqual([0, 1, 2, 3]);
  });

  it('rejects budgets out of range', () => {
    const t = tokens(1, [2, 2], 2, randoms(8, 4));
    expect(() => reduceFramesCpu(t, { method: 'tome', keep: [5] })).toThrow(/budget of frame 0/);
    expect(() => reduceFramesCpu(t, { method: 'tome', keep: [1, 1] })).toThrow(/2 budgets for 1/);
  });

  it('tomeFrame records a decision margin', () => {
    const t = tokens(1, [2, 2], 2, [1, 0, 1, 0.1, 0, 1, 0.1, 1]);
    const diag = { margin: Infinity };
    tomeFrame(
      { frame: 0, n: 4, dim: 2, keyDim: 2, features: t.features, keys: t.features },
      3,
      diag,
    );
    expect(diag.margin).toBe(0); // t1→t0 and t3→t2 are equally similar: a tie, broken by index
  });
});

describe('gather', () => {
  const t = tokens(2, [2, 3], 1, [0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15]);
  const frames = reduceFramesCpu(t, { method: 'random', keep: [2, 3], seed: 1 });
  it('time order, grid order, offsets, provenance', () => {
    const g = gatherCpu(frames, 1);
    expect(g.offsets).toEqual([0, 2, 5]);
    expect(Array.from(g.frameOf)).toEqual([0, 0, 1, 1, 1]);
    expect(Array.from(g.features)).toEqual([
      ...frames[0]!.indices,
      ...frames[1]!.indices.map((j) => 10 + j),
    ]);
  });
});

interface TomeCase {
  name: string;
  rounds: number;
  input: { grid: [number, number]; features: number[][]; keys: number[][]; keep: number };
  indices: number[];
  features: number[][];
  groups: number[][];
}

function tomeReference(): TomeCase[] {
  const url = new URL('../fixtures/tome-reference.json', import.meta.url);
  return (JSON.parse(readFileSync(url, 'utf8')) as { cases: TomeCase[] }).cases;
}

function referenceTokens(c: TomeCase): FrameTokens {
  const { grid, features, keys } = c.input;
  return {
    frames: 1,
    tokens: grid[0] * grid[1],
    grid,
    dim: features[0]!.length,
    features: Float32Array.from(features.flat()),
    keyDim: keys[0]!.length,
    keys: Float32Array.from(keys.flat()),
    importance: null,
  };
}
