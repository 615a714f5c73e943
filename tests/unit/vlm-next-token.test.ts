import { describe, expect, it } from 'vitest';
import { chooseToken, seededRandom, topKCpu } from '../../src/vlm/next-token.ts';

const candidates = {
  values: Float32Array.from([3, 2, 1, -5]),
  ids: Uint32Array.from([10, 11, 12, 13]),
};

describe('chooseToken', () => {
  it('is greedy at temperature 0', () => {
    expect(chooseToken(candidates, { temperature: 0, topP: 1 }, () => 0.99)).toBe(10);
  });

  it('samples within the nucleus only', () => {
    // p ∝ e^3, e^2, e^1, e^-5 → 0.665, 0.245, 0.090, 0.0002: top-p 0.8 keeps ids 10 and 11.
    const random = seededRandom(1);
    const seen = new Set<number>();
    for (let i = 0; i < 500; i++)
      seen.add(chooseToken(candidates, { temperature: 1, topP: 0.8 }, random));
    expect([...seen].sort()).toEqual([10, 11]);
  });

  it('follows the softmax probabilities', () => {
    const random = seededRandom(7);
    let first = 0;
    const n = 20_000;
    for (let i = 0; i < n; i++)
      if (chooseToken(candidates, { temperature: 1, topP: 1 }, random) === 10) first++;
    const p = Math.exp(3) / (Math.exp(3) + Math.exp(2) + Math.exp(1) + Math.exp(-5));
    expect(Math.abs(first / n - p)).toBeLessThan(0.015); // ≈ 4.5 standard deviations
  });

  it('gives the same tokens for the same seed', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const pick = (r: () => number) => chooseToken(candidates, { temperature: 2, topP: 0.95 }, r);
    expect(Array.from({ length: 50 }, () => pick(a))).toEqual(
      Array.from({ length: 50 }, () => pick(b)),
    );
  });
});

describe('topKCpu', () => {
  it('orders by value then id', () => {
    expect(Array.from(topKCpu(Float32Array.from([1, 3, 3, 2]), 3).ids)).toEqual([1, 2, 3]);
  });
});
