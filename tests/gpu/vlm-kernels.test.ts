// The VLM's small kernels against their CPU references on Dawn/SwiftShader: splicing kept tokens
// into placeholder rows (exact copy), and top-K of the last logits row (exact ids and values).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { nodeGpu } from '../../cli/node-gpu.ts';
import {
  acquireGpu,
  PipelineCache,
  readback,
  upload,
  type GpuContext,
} from '../../src/gpu/index.ts';
import { encodeSplice, placeholderPositions, spliceCpu } from '../../src/vlm/splice.ts';
import { TopK, topKCpu } from '../../src/vlm/sample.ts';

let ctx: GpuContext;
let pipelines: PipelineCache;
beforeAll(async () => {
  ctx = await acquireGpu(await nodeGpu());
  pipelines = new PipelineCache(ctx.device);
});
afterAll(() => ctx?.device.destroy());
afterEach(() => expect(ctx.takeErrors(), 'uncaptured WebGPU errors').toEqual([]));

function randoms(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

describe('splice', () => {
  const IMG = 7;
  const cases: [string, number[], number][] = [
    ['one placeholder, width 1', [1, IMG, 2], 1],
    ['no placeholders', [1, 2, 3], 8],
    ['frames of ragged budgets, width 64', [1, IMG, IMG, IMG, 5, 9, IMG, 5, IMG, IMG, 2], 64],
    ['all placeholders, width 576', Array(40).fill(IMG), 576],
    ['width 65 (one past a workgroup)', [IMG, 3, IMG], 65],
  ];
  for (const [name, ids, dim] of cases) {
    it(name, async () => {
      const positions = placeholderPositions(ids, IMG);
      const embeds = randoms(ids.length * dim, 1);
      const kept = randoms(positions.length * dim, 2);
      const expected = embeds.slice();
      spliceCpu(expected, kept, positions, dim);
      const eb = upload(ctx, embeds);
      const kb = upload(ctx, kept.length ? kept : new Float32Array(1));
      const enc = ctx.device.createCommandEncoder();
      const temps = encodeSplice(ctx.device, pipelines, enc, eb, kb, positions, dim);
      ctx.device.queue.submit([enc.finish()]);
      const got = new Float32Array(await readback(ctx.device, eb, embeds.byteLength));
      temps.forEach((b) => b.destroy());
      expect(
        got.every((v, i) => v === expected[i]),
        name,
      ).toBe(true);
    });
  }

  it('refuses a kept count that does not match the placeholders', () => {
    expect(() => spliceCpu(new Float32Array(8), new Float32Array(4), Uint32Array.of(0), 2)).toThrow(
      /2 kept rows for 1 placeholders/,
    );
  });
});

describe('top-k of the last logits row', () => {
  const cases: [string, number, number, number][] = [
    ['vocab 1, k 1', 1, 1, 1],
    ['greedy over 49 280 (SmolVLM2 vocabulary), 3 rows', 49_280, 3, 1],
    ['k 64 over 1000', 1000, 2, 64],
    ['k = vocab = 5', 5, 1, 5],
    ['vocab 257 (one past a workgroup), k 7', 257, 4, 7],
  ];
  for (const [name, vocab, rows, k] of cases) {
    it(name, async () => {
      const logits = randoms(vocab * rows, vocab + k);
      const topk = new TopK(ctx.device, pipelines, k);
      const buf = upload(ctx, logits);
      const got = await topk.run(buf, rows - 1, vocab);
      const want = topKCpu(logits.subarray((rows - 1) * vocab, rows * vocab), k);
      expect(Array.from(got.ids), name).toEqual(Array.from(want.ids));
      expect(Array.from(got.values), name).toEqual(Array.from(want.values));
      topk.destroy();
      buf.destroy();
    });
  }

  it('breaks ties by the lower token id', async () => {
    const logits = Float32Array.from([0, 5, 1, 5, 5, -2]);
    const topk = new TopK(ctx.device, pipelines, 4);
    const got = await topk.run(upload(ctx, logits), 0, 6);
    expect(Array.from(got.ids)).toEqual([1, 3, 4, 2]);
    expect(Array.from(topKCpu(logits, 4).ids)).toEqual([1, 3, 4, 2]);
  });
});
