// What the GPU driver decides on the host from the budgets alone (no GPU needed): ToMe's token
// counts per round, matchPairs' workgroup layout, and the 2-D dispatch split.
import { describe, expect, it } from 'vitest';
import { grid2d } from '../../src/kvtp/gpu/kernels.ts';
import { matchLayout, tomeCounts } from '../../src/kvtp/gpu/tome.ts';
import { tomeFrame } from '../../src/kvtp/reduce-cpu.ts';

describe('ToMe round counts', () => {
  it('follow each frame down to its budget, with no round to spare', () => {
    const step = (c: number, k: number) => (c > k ? c - Math.min(c - k, Math.floor(c / 2)) : c);
    for (const N of [1, 2, 3, 9, 64, 169, 196, 729]) {
      const keep = [0, 1, 2, Math.floor(N / 3), N - 1, N].map((k) => Math.max(0, Math.min(N, k)));
      const counts = tomeCounts(N, keep);
      // every round starts with a frame above its budget, and the last one brings all to theirs
      counts.forEach((c, r) =>
        expect(
          c.some((x, f) => x > keep[f]!),
          `N ${N} round ${r}`,
        ).toBe(true),
      );
      const last = counts.at(-1);
      if (last) keep.forEach((k, f) => expect(step(last[f]!, k), `N ${N} frame ${f}`).toBe(k));
      keep.forEach((k, f) => {
        expect(counts[0]?.[f] ?? (k === 0 ? 0 : N)).toBe(k === 0 ? 0 : N);
        // each round removes min(c − k, floor(c / 2)) from a frame above its budget
        for (let r = 1; r < counts.length; r++) {
          const c = counts[r - 1]![f]!;
          expect(counts[r]![f]).toBe(step(c, k));
        }
      });
    }
  });
  it('match the CPU reference: a 5-token frame to 1 takes three rounds', () => {
    const features = Float32Array.from({ length: 5 * 2 }, (_, i) => Math.sin(i + 1));
    const v = { frame: 0, n: 5, dim: 2, keyDim: 2, features, keys: features };
    expect(tomeFrame(v, 1).indices).toHaveLength(1);
    expect(tomeCounts(5, [1]).map((c) => c[0])).toEqual([5, 3, 2]);
  });
});

describe('matchPairs layout', () => {
  for (const N of [1, 2, 3, 15, 64, 65, 169, 196, 256, 729, 4096]) {
    it(`N ${N}: at most 64 invocations, a power-of-two split no wider than the A blocks`, () => {
      const { split, tiles } = matchLayout(N, 64);
      const blocks = Math.max(1, Math.ceil(Math.ceil(N / 2) / 8));
      expect(split * tiles).toBeLessThanOrEqual(64);
      expect([1, 2, 4, 8]).toContain(split);
      expect(split).toBeLessThanOrEqual(blocks);
      expect(Number.isInteger(Math.log2(tiles))).toBe(true);
    });
  }
});

describe('grid2d', () => {
  it('splits workgroups over x and y within the per-dimension limit', () => {
    expect(grid2d(0, 65535)).toEqual([1, 1]);
    expect(grid2d(10, 65535)).toEqual([10, 1]);
    const [x, y] = grid2d(200000, 65535);
    expect(x).toBe(65535);
    expect(x * y).toBeGreaterThanOrEqual(200000);
  });
});
