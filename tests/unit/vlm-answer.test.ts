// What the decoder is given and what it gives back, on ONNX Runtime's wasm provider with the
// fixture packages: exactly the text's and the kept tokens' embeddings (seen by wrapping the
// decoder session), the same prefill logits as an independently built unpruned prompt when every
// token is kept, seeded sampling, the KV cache growing by one row per step, and the token total
// each allocation mode promises.
//
// Tolerance for logits: 1e-4 · max(1, max |reference logit|). The pipeline prefills in chunks of
// 256 through the cache, the reference in one pass; both in f32 (observed ≤ 1e-6 here).
import { beforeAll, describe, expect, it } from 'vitest';
import { cpuBackend } from '../../src/kvtp/cpu.ts';
import { shares } from '../../src/kvtp/allocate.ts';
import { readFloat32 } from '../../src/models/dtype.ts';
import { onnxRuntime } from '../../src/models/ort.ts';
import type { OrtSession, OrtTensor } from '../../src/models/ort.ts';
import type { RelevanceModel } from '../../src/models/relevance.ts';
import { checkPromise } from '../../src/vlm/budgets.ts';
import { KvDecoder } from '../../src/vlm/decoder.ts';
import {
  answerQuestion,
  encodeVideo,
  selectTokens,
  type LoadedVlm,
  type RgbaFrame,
  type VideoFeatures,
} from '../../src/vlm/pipeline.ts';
import { cpuPath } from '../../src/vlm/compute-path.ts';
import { referenceLogits } from '../../src/vlm/reference.ts';
import type { AllocationMode, SelectionSettings } from '../../src/engine/types.ts';
import { loadFixtureRelevance, loadFixtureVlm } from '../fixtures/packages.ts';

const ort = onnxRuntime();
let vlm: LoadedVlm;
let relevance: RelevanceModel;
let video: VideoFeatures;
const QUESTION = 'Which shape appeared first?';

function frame(t: number, seed: number): RgbaFrame {
  const rgba = new Uint8Array(80 * 60 * 4);
  for (let i = 0; i < rgba.length; i++) rgba[i] = (i * 37 + seed * 101) % 253;
  return { t, width: 80, height: 60, rgba };
}

beforeAll(async () => {
  [vlm, relevance] = await Promise.all([loadFixtureVlm(), loadFixtureRelevance()]);
  // 3 frames × 64 tokens + the text: a prompt longer than one 256-token prefill chunk
  video = await encodeVideo(
    ort,
    vlm,
    relevance,
    [0, 1, 2].map((i) => frame(i * 3 + 1, i)),
    9,
  );
}, 60_000);

const base: SelectionSettings = {
  method: 'tome',
  allocation: 'exact',
  keepRatio: 0.3,
  temperature: 2,
  minPerFrame: 1,
  head: 'logit',
  seed: 0,
};
const greedy = { temperature: 0, topP: 1 };

interface Run {
  embeds: Float32Array;
  rows: number;
  past: number;
}

/** `vlm` with its decoder session wrapped: every run's inputs_embeds and past length recorded. */
function spied(): { vlm: LoadedVlm; runs: Run[] } {
  const runs: Run[] = [];
  const { embed, decoder } = vlm.decoder.sessions;
  const spy = new Proxy(decoder, {
    get(target, key) {
      if (key === 'run') {
        return async (feeds: Record<string, OrtTensor>, ...rest: unknown[]) => {
          const e = feeds.inputs_embeds!;
          runs.push({
            embeds: Float32Array.from(await readFloat32(e)),
            rows: e.dims[1]!,
            past: feeds['past_key_values.0.key']!.dims[2]!,
          });
          return (target.run as (...a: unknown[]) => unknown)(feeds, ...rest);
        };
      }
      const v: unknown = Reflect.get(target, key, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  }) as OrtSession;
  const decoderOf = new KvDecoder(ort, embed, spy, vlm.manifest.decoder);
  return { vlm: { ...vlm, decoder: decoderOf }, runs };
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
};
const tolerance = (ref: Float32Array) => 1e-4 * Math.max(1, ...Array.from(ref, Math.abs));

describe('the decoder receives exactly the text and the kept tokens', () => {
  it('in order: text embeddings where the text is, kept rows where the placeholders are', async () => {
    const { selection, kept } = await selectTokens(
      cpuPath(cpuBackend()),
      relevance,
      video,
      QUESTION,
      base,
    );
    const s = spied();
    const a = await answerQuestion(ort, s.vlm, video, selection, kept, {
      ...greedy,
      maxNewTokens: 3,
    });
    const D = vlm.manifest.vision.hidden;
    // the text alone, built with no placeholders at all
    const textOnly = vlm.prompt.build(
      QUESTION,
      selection.frames.map((f) => ({ t: f.t, keep: 0 })),
      video.duration,
    ).ids;
    const prefill = s.runs.slice(0, Math.ceil(a.promptTokens / 256));
    const S = prefill.reduce((n, r) => n + r.rows, 0);
    expect(S).toBe(textOnly.length + selection.visualKept);
    expect(prefill.map((r) => r.past)).toEqual(prefill.map((_, i) => i * 256)); // chunks of 256
    const fed = new Float32Array(S * D);
    let at = 0;
    for (const r of prefill) fed.set(r.embeds, (at += r.rows * D) - r.rows * D);
    // the ids the pipeline used, and their embeddings by the model's own embedding session
    const ids = vlm.prompt.build(
      QUESTION,
      selection.frames.map((f) => ({ t: f.t, keep: f.keep })),
      video.duration,
    ).ids;
    const own = await readFloat32(await vlm.decoder.embedIds(ids));
    let k = 0;
    ids.forEach((id, i) => {
      const row = fed.subarray(i * D, (i + 1) * D);
      if (id === vlm.manifest.tokens.image) {
        expect(Array.from(row), `row ${i}: kept token ${k}`).toEqual(
          Array.from(kept.features!.subarray(k * D, (k + 1) * D)),
        );
        k++;
      } else {
        expect(Array.from(row), `row ${i}: text`).toEqual(
          Array.from(own.subarray(i * D, (i + 1) * D)),
        );
      }
    });
    expect(k).toBe(selection.visualKept);
    // then one row per step, each after a cache one longer than the step before
    const steps = s.runs.slice(prefill.length);
    expect(steps.every((r) => r.rows === 1)).toBe(true);
    expect(steps.map((r) => r.past)).toEqual(steps.map((_, i) => a.promptTokens + i));
  });
});

describe('keeping every token', () => {
  for (const method of ['none', 'random', 'tome', 'prumerge'] as const) {
    it(`${method} at keep 1: the prefill logits of an independently built prompt`, async () => {
      const all = { ...base, method, keepRatio: 1 };
      const { selection, kept } = await selectTokens(
        cpuPath(cpuBackend()),
        relevance,
        video,
        QUESTION,
        all,
      );
      expect(selection.visualKept).toBe(selection.visualTotal);
      const a = await answerQuestion(ort, vlm, video, selection, kept, {
        ...greedy,
        maxNewTokens: 1,
        prefillLogits: true,
      });
      const got = a.generation.lastPrefillLogits!;
      const frames = selection.frames.map((f) => ({ t: f.t, keep: f.tokens }));
      const unpruned = await referenceLogits(
        ort,
        vlm,
        QUESTION,
        frames,
        video.duration,
        video.tokens.cpu!,
      );
      expect(got.length).toBe(vlm.manifest.decoder.vocab);
      if (method !== 'prumerge') {
        expect(maxDiff(got, unpruned), method).toBeLessThanOrEqual(tolerance(unpruned));
        return;
      }
      // PruMerge changes every kept token even at k = N (each adds its neighbours' weighted
      // features, DESIGN.md): its logits are those of a prompt with PruMerge's features
      const t = { ...video.tokens, features: video.tokens.cpu!, keyDim: 64, keys: null };
      const merged = await cpuBackend().reduce(
        { ...t, importance: null },
        {
          method,
          keep: frames.map((f) => f.keep),
        },
      );
      const reference = await referenceLogits(
        ort,
        vlm,
        QUESTION,
        frames,
        video.duration,
        merged.features,
      );
      expect(maxDiff(got, reference)).toBeLessThanOrEqual(tolerance(reference));
      expect(maxDiff(got, unpruned)).toBeGreaterThan(tolerance(unpruned));
    });
  }
});

describe('seeds', () => {
  async function sample(seed: number) {
    const s = { ...base, method: 'random' as const, keepRatio: 0.5, seed };
    const { selection, kept } = await selectTokens(
      cpuPath(cpuBackend()),
      relevance,
      video,
      QUESTION,
      s,
    );
    const a = await answerQuestion(ort, vlm, video, selection, kept, {
      temperature: 1,
      topP: 1,
      maxNewTokens: 8,
      seed,
    });
    return { ids: a.generation.ids, indices: selection.frames.map((f) => f.indices) };
  }
  it('same seed, same pruning and answer at temperature 1; another seed, another', async () => {
    const [a, b, c] = [await sample(7), await sample(7), await sample(8)];
    expect(b).toEqual(a);
    expect(c.indices).not.toEqual(a.indices);
    expect(c.ids).not.toEqual(a.ids);
    expect(a.ids.length).toBeGreaterThan(1);
  });
});

describe('the KV cache', () => {
  it('grows by exactly one row per generated token, step by step', async () => {
    const { selection, kept } = await selectTokens(
      cpuPath(cpuBackend()),
      relevance,
      video,
      QUESTION,
      base,
    );
    const a = await answerQuestion(ort, vlm, video, selection, kept, {
      ...greedy,
      maxNewTokens: 6,
    });
    const g = a.generation;
    const fed = g.ids.length - (g.stopped === 'max-tokens' ? 1 : 0);
    expect(g.steps.map((s) => s.cacheLength)).toEqual(
      Array.from({ length: fed }, (_, i) => a.promptTokens + i + 1),
    );
    expect(g.cacheLength).toBe(a.promptTokens + fed);
    expect(g.cacheMode).toBe('feedback'); // wasm: present.* fed back as CPU tensors
    expect(a.prefillMs).toBeGreaterThanOrEqual(g.firstTokenMs); // prompt and splice included
  });
});

describe('budgets', () => {
  const L = 3;
  const N = 64;
  const rho = 0.3;
  const expected = async (choice: AllocationMode, scores: Float32Array) => {
    if (choice === 'uniform') return L * Math.round(rho * N);
    if (choice !== 'paper') return Math.round(rho * L * N);
    // base.method is ToMe: the reference's ToMe removes floor(N·(1 − r)) tokens of a frame
    expect(base.method).toBe('tome');
    const r = Array.from(shares(scores, base.temperature), (p) => L * rho * p);
    return r.reduce((a, x) => a + N - Math.floor(N * Math.max(0, 1 - x)), 0);
  };
  for (const allocation of ['exact', 'paper', 'uniform', 'hard'] as const) {
    it(`${allocation} keeps the total it promises`, async () => {
      const s = { ...base, allocation, keepRatio: rho };
      const { selection, scores } = await selectTokens(
        cpuPath(cpuBackend()),
        relevance,
        video,
        QUESTION,
        s,
      );
      expect(selection.visualKept).toBe(await expected(allocation, scores));
    });
  }

  it('a selection that breaks its promise is an error value', () => {
    const shape = { frames: 2, tokens: 4, keepRatio: 0.5 };
    expect(() => checkPromise('exact', shape, [2, 2], [2, 1])).toThrow(
      expect.objectContaining({
        code: 'broken-promise',
        message: expect.stringContaining('frame 1'),
      }),
    );
    expect(() => checkPromise('exact', shape, [3, 2], [3, 2])).toThrow(
      expect.objectContaining({ code: 'broken-promise' }),
    );
    expect(() => checkPromise('uniform', shape, [2, 2], [2, 2])).not.toThrow();
    expect(() => checkPromise('paper', shape, [1, 2], [1, 2])).not.toThrow(); // overflow lost
    // paper with ToMe keeps at most one token more per frame than floor(N·r)
    const tome = { ...shape, method: 'tome' } as const;
    expect(() => checkPromise('paper', tome, [4, 3], [4, 3])).toThrow(
      expect.objectContaining({ code: 'broken-promise', message: expect.stringMatching(/most 6/) }),
    );
    expect(() => checkPromise('paper', tome, [3, 3], [3, 3])).not.toThrow();
    expect(() => checkPromise('paper', shape, [3, 3], [3, 3])).toThrow(/most 4/);
  });
});
