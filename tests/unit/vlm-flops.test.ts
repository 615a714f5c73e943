import { describe, expect, it } from 'vitest';
import { prefillFlops } from '../../src/vlm/flops.ts';

describe('prefillFlops', () => {
  const one = { layers: 1, hidden: 2, intermediate: 3, heads: 1, kvHeads: 1, headDim: 2, vocab: 5 };
  it('counts a one-layer toy decoder by hand', () => {
    // per token: q 2·2·2=8, k+v 2·2·2·2=16, o 8, mlp 2·3·2·3=36 → 68; lm head 2·2·5=20.
    // attention for n=3: 4·1·2·6 = 48.  Total: 3·68 + 48 + 3·20 = 312.
    expect(prefillFlops(one, 3)).toBe(312);
  });
  it('grows faster than linearly with the prompt (attention)', () => {
    const smol = {
      layers: 30,
      hidden: 576,
      intermediate: 1536,
      heads: 9,
      kvHeads: 3,
      headDim: 64,
      vocab: 49280,
    };
    const full = prefillFlops(smol, 2100);
    const pruned = prefillFlops(smol, 500);
    expect(pruned / full).toBeLessThan(500 / 2100);
    expect(pruned / full).toBeGreaterThan(0.15); // ≈ 0.197: the linear part dominates at these lengths
  });
});
