// The VLM's GPU steps against their CPU references on Dawn/SwiftShader: splicing kept tokens into
// placeholder rows (exact copy), the prompt embeddings assembled on the GPU and cut into prefill
// chunks (exact), the reduction on GPU-resident tokens with only its provenance read back (the
// same provenance and rows as the backend's own readback), top-K of the last logits row (exact).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { nodeGpu } from '../../cli/node-gpu.ts';
import {
  acquireGpu,
  PipelineCache,
  readback,
  upload,
  type GpuContext,
} from '../../src/gpu/index.ts';
import { cpuBackend } from '../../src/kvtp/cpu.ts';
import { GpuKvtp } from '../../src/kvtp/gpu/index.ts';
import type { FrameTokens, ReductionMethod } from '../../src/kvtp/types.ts';
import { chunkOnGpu, spliceOnGpu } from '../../src/vlm/embeds-gpu.ts';
import { reduceOnGpu } from '../../src/vlm/kept-gpu.ts';
import { encodeSplice, placeholderPositions, spliceCpu } from '../../src/vlm/splice.ts';
import { TopK, topKCpu } from '../../src/vlm/next-token.ts';

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

describe('prompt embeddings on the GPU', () => {
  const IMG = 9;
  const cases: [string, number[], number][] = [
    ['three frames, width 64', [1, IMG, IMG, 4, IMG, 5, IMG, IMG, IMG, 2], 64],
    ['no placeholders, width 3', [1, 2, 3], 3],
    ['every row a placeholder, width 65', Array(11).fill(IMG), 65],
  ];
  for (const [name, ids, dim] of cases) {
    it(`${name}: copy + splice equals the CPU splice, chunks are exact row ranges`, async () => {
      const positions = placeholderPositions(ids, IMG);
      const text = randoms(ids.length * dim, 3);
      // the reduction's output buffer holds more rows than are kept; only the first count
      const kept = randoms((positions.length + 2) * dim, 4);
      const expected = text.slice();
      spliceCpu(expected, kept.subarray(0, positions.length * dim), positions, dim);
      const tb = upload(ctx, text);
      const kb = upload(ctx, kept);
      const e = spliceOnGpu(ctx.device, pipelines, tb, ids.length, dim, kb, positions);
      tb.destroy(); // the embeddings own their copy
      const got = new Float32Array(await readback(ctx.device, e.buffer, expected.byteLength));
      expect(
        got.every((v, i) => v === expected[i]),
        name,
      ).toBe(true);
      for (const [at, n] of [
        [0, 1],
        [1, ids.length - 1],
        [ids.length - 1, 1],
      ] as const) {
        const c = chunkOnGpu(ctx.device, e, at, n);
        const part = new Float32Array(await readback(ctx.device, c, n * dim * 4));
        expect(Array.from(part), `${name}: rows ${at}..${at + n}`).toEqual(
          Array.from(expected.subarray(at * dim, (at + n) * dim)),
        );
        c.destroy();
      }
      e.release();
      kb.destroy();
    });
  }
});

describe('reduction on GPU-resident tokens', () => {
  const shape = (L: number, h: number, w: number, D: number, seed: number): FrameTokens => ({
    frames: L,
    tokens: h * w,
    grid: [h, w],
    dim: D,
    features: randoms(L * h * w * D, seed),
    keyDim: D,
    keys: null,
    importance: null,
  });
  const cases: [string, FrameTokens, number[]][] = [
    ['3 frames of 4×4, width 8, ragged budgets', shape(3, 4, 4, 8, 5), [1, 16, 7]],
    ['2 frames of 8×8, width 64, one frame dropped', shape(2, 8, 8, 64, 6), [0, 13]],
    ['1 frame of 1×1', shape(1, 1, 1, 4, 7), [1]],
  ];
  const methods: ReductionMethod[] = ['none', 'random', 'tome', 'prumerge'];
  for (const [name, t, keep] of cases) {
    for (const method of methods) {
      it(`${name}, ${method}: provenance and kept rows as the backend reads them`, async () => {
        const kvtp = new GpuKvtp(ctx);
        const p = { method, keep, seed: 3 };
        const want = await kvtp.reduce(t, p); // reads everything back (the wasm path)
        const buffer = upload(ctx, t.features);
        const got = await reduceOnGpu(kvtp, { ...t, buffer }, p);
        const { features, ...provenance } = want;
        expect(got.provenance, `${name} ${method}`).toEqual(provenance);
        expect(got.rows).toBe(want.offsets[t.frames]);
        const rows = new Float32Array(await readback(ctx.device, got.buffer, features.byteLength));
        expect(Array.from(rows), `${name} ${method}: kept rows`).toEqual(Array.from(features));
        // where no near ties can arise (none, random by hash) the groups are the CPU reference's
        // (tome and prumerge against the reference: tests/gpu/kvtp.test.ts)
        if (method === 'none' || method === 'random') {
          const cpu = await cpuBackend().reduce(t, p);
          expect(got.provenance.groups, `${name} ${method}: groups`).toEqual(cpu.groups);
        }
        got.release();
        buffer.destroy();
      });
    }
  }
});
