// Asking about a video in headless Chromium (WebGPU on SwiftShader), through the pipeline worker
// and the fixture model packages (random weights, the real contracts): the selection event before
// the tokens, the streamed tokens making the answer, KVTP's budgets and groups as promised, and
// re-selection and follow-up questions that reuse the decoded frames and the features (counted).
// On the GPU path nothing but the top-K candidates comes back between the selection and the
// first token and per step (the worker meters every mapAsync). Keeping every token gives the
// prefill logits of an independently built prompt; seeds; each mode's budget; and the answer on a
// browser without WebGPU.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSession, type AutomationSession } from '../../cli/browser.ts';
import type { AskResult, AskSettings, Selection } from '../../src/engine/types.ts';
import type { OpenResult } from '../../src/worker/protocol.ts';
import { FIXTURE_VLM } from '../../src/models/registry.ts';
import { testVideo } from '../fixtures/videos.ts';
import { engineCounters, FIXTURE_MODELS, FIXTURE_SETTINGS } from './fixture-ask.ts';
import { DIST } from '../../cli/build.ts';
import { launchChromium } from '../../cli/chromium.ts';
import { serveStatic } from '../../cli/serve.ts';
import type { Capabilities } from '../../src/worker/protocol.ts';

const run = promisify(execFile);
let session: AutomationSession;
let video: string;
beforeAll(async () => {
  [session, video] = await Promise.all([openSession(), testVideo('h264-bframes')]);
});
afterAll(() => session?.close());

const models = FIXTURE_MODELS;
const settings = FIXTURE_SETTINGS;
const counters = () => engineCounters(session);

describe('ask', () => {
  it('says what to do when no video is open', async () => {
    const r = await session.request('ask', { question: 'What?', settings, models });
    expect(r.error).toEqual({ code: 'no-video', message: 'Open a video first, then ask about it' });
  });

  it('streams an answer after the selection, with KVTP budgets and ToMe groups as promised', async () => {
    const opened = await session.request<OpenResult>('open', { frames: 8 }, { file: video });
    expect(opened.error).toBeUndefined();
    const events: { type: string; text?: string; selection?: Selection }[] = [];
    const r = await session.request<AskResult>(
      'ask',
      { question: 'What colour was the triangle?', settings, models },
      { onEvent: (e) => events.push(e as (typeof events)[number]) },
    );
    if (r.error) throw new Error(`${r.error.code}: ${r.error.message}`);
    const answer = r.result;
    const kinds = events.map((e) => e.type).filter((t) => t !== 'progress');
    expect(kinds[0]).toBe('selection');
    expect(kinds.slice(1).every((k) => k === 'token')).toBe(true);
    expect(
      events
        .filter((e) => e.type === 'token')
        .map((e) => e.text)
        .join(''),
    ).toBe(answer.answer);
    expect(answer.figures.generatedTokens).toBe(kinds.length - 1);
    const sel = answer.selection;
    expect(sel.frames).toHaveLength(8);
    expect(sel.visualTotal).toBe(8 * 64);
    expect(sel.visualKept).toBe(128); // round(0.25 · 8 · 64), exactly
    for (const f of sel.frames) {
      expect(f.keep).toBeGreaterThanOrEqual(1);
      expect(f.groups.flat().sort((a, b) => a - b)).toEqual(
        Array.from({ length: 64 }, (_, i) => i),
      );
      f.indices.forEach((rep, i) => expect(f.groups[i]).toContain(rep));
    }
    expect(answer.figures.promptTokensUnpruned - answer.figures.promptTokens).toBe(8 * 64 - 128);
    expect(answer.figures.prefillFlops).toBeLessThan(answer.figures.prefillFlopsUnpruned);
    // WebGPU: frames preprocessed by the WGSL kernel, tokens on the GPU up to the decoder, the KV
    // cache allocated once and written in place, one cache row per token
    expect(answer.provider).toBe('webgpu');
    expect(answer.path).toBe('gpu');
    expect(answer.decoder).toMatchObject({ cache: 'gpu', cacheMode: 'static', logitRowsRead: 0 });
    const { layers } = FIXTURE_VLM.decoder;
    expect(answer.decoder.cacheBuffersMade).toBe(2 * 2 * layers); // a pair per key and value
    const P = answer.figures.promptTokens;
    const fed = answer.figures.generatedTokens - (answer.stop === 'max-tokens' ? 1 : 0);
    expect(answer.decoder.cacheLength).toBe(P + fed);
    expect(answer.decoder.steps!.map((s) => s.cacheLength)).toEqual(
      Array.from({ length: fed }, (_, i) => P + i + 1),
    );
    // read back: between the selection and the first token, and per step, the top-K candidates only
    const topK = { readbacks: 1, readBytes: 8 * 64 };
    expect(answer.transfers!.metered).toBe(true);
    expect(answer.transfers!.toFirstToken).toMatchObject(topK);
    for (const step of answer.decoder.steps!) expect(step).toMatchObject(topK);
    // first_token_ms covers the question's own work: reduction and prefill among it
    const t = answer.figures.timings;
    expect(t.prefillMs).toBeGreaterThan(0);
    expect(t.firstTokenMs).toBeGreaterThanOrEqual(t.prefillMs + t.reduceMs);
    expect(events.find((e) => e.type === 'selection')!.selection).toEqual(sel);
  });

  it('re-selects and answers follow-ups without decoding or encoding again', async () => {
    const before = await counters();
    expect(before.videoDecodes).toBe(1);
    expect(before.visionEncodes).toBe(1);
    const s = await session.request<Selection>('select', {
      question: 'What colour was the triangle?',
      settings: { ...settings, method: 'prumerge', keepRatio: 0.5 },
      models,
    });
    if (s.error) throw new Error(s.error.message);
    expect(s.result.visualKept).toBe(256);
    const again = await session.request<AskResult>('ask', {
      question: 'How many circles?',
      settings,
      models,
    });
    if (again.error) throw new Error(again.error.message);
    expect(again.result.figures.timings.visionMs).toBe(0);
    expect(again.result.decoder.cacheBuffersMade).toBe(0); // the first answer's cache had room
    const after = await counters();
    expect(after).toMatchObject({ videoDecodes: 1, visionEncodes: 1, relevanceImageEncodes: 1 });
    expect(after.selections).toBe(before.selections + 2);
    expect(after.generations).toBe(before.generations + 1);
  });

  it('makes no new shader module, pipeline or pooled buffer for further questions on the video', async () => {
    // the KVTP kernels, their pipelines and buffer pool live as long as the device
    const before = await counters();
    expect(before.gpuObjects).not.toBeNull();
    expect(before.gpuObjects!.shaderModules).toBeGreaterThan(0);
    expect(before.gpuObjects!.pipelines).toBeGreaterThan(0);
    expect(before.gpuObjects!.pooledBuffers).toBeGreaterThan(0);
    for (const question of ['What colour was the triangle?', 'Where was the square?']) {
      const r = await session.request<AskResult>('ask', { question, settings, models });
      if (r.error) throw new Error(r.error.message);
      expect(r.result.path).toBe('gpu');
    }
    const after = await counters();
    expect(after.gpuObjects).toEqual(before.gpuObjects);
    expect(after.generations).toBe(before.generations + 2);
  });
});

/**
 * Open `file` (4 frames) and ask in a Chromium without WebGPU: without --enable-unsafe-webgpu
 * (and the SwiftShader adapter) Linux Chromium has navigator.gpu but no adapter, as a machine
 * without a usable GPU has.
 */
async function askWithoutWebGpu(file: string, args: Record<string, unknown>) {
  const server = await serveStatic(DIST);
  const browser = await launchChromium({ webgpu: false });
  try {
    const page = await browser.newPage();
    await page.goto(`${server.url}/automation.html`);
    await page.waitForFunction(() => 'kvtp' in window);
    await page.setInputFiles('#file', file);
    const run = <T>(command: string, a: Record<string, unknown>, fileArg?: string) =>
      page.evaluate(([c, x, f]) => window.kvtp.request(c as 'ask', x, { fileArg: f }), [
        command,
        a,
        fileArg,
      ] as const) as Promise<{ result?: T; error?: { code: string; message: string } }>;
    const caps = await run<Capabilities>('capabilities', {});
    const opened = await run('open', { frames: 4 }, 'file');
    if (opened.error) throw new Error(opened.error.message);
    const asked = await run<AskResult>('ask', args);
    if (asked.error) throw new Error(`${asked.error.code}: ${asked.error.message}`);
    return { capabilities: caps.result!, answer: asked.result! };
  } finally {
    await browser.close();
    await server.close();
  }
}

describe('the answer on the GPU', () => {
  const ask = async (s: AskSettings, models_ = models) => {
    const ids: number[] = [];
    const r = await session.request<AskResult>(
      'ask',
      { question: 'What colour was the triangle?', settings: s, models: models_ },
      {
        onEvent: (e) =>
          (e as { type: string }).type === 'token' && ids.push((e as { id: number }).id),
      },
    );
    if (r.error) throw new Error(`${r.error.code}: ${r.error.message}`);
    return { ...r.result, ids };
  };
  const inspect = {
    ...settings,
    keepRatio: 1,
    generation: { ...settings.generation, maxTokens: 1, inspectPrefill: true },
  };
  // logits tolerance: 1e-4 · max(1, max |reference logit|) (observed ≤ 4e-7 on SwiftShader;
  // PruMerge's own features move them by ~5e-2)
  const diff = (a: readonly number[], b: readonly number[]) =>
    a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
  const tol = (ref: readonly number[]) => 1e-4 * Math.max(1, ...ref.map(Math.abs));

  it('keeping every token gives the unpruned prefill logits (PruMerge: its own features’)', async () => {
    const opened = await session.request<OpenResult>('open', { frames: 3 }, { file: video });
    expect(opened.error).toBeUndefined();
    for (const method of ['none', 'random', 'tome', 'prumerge'] as const) {
      const a = await ask({ ...inspect, method });
      expect(a.path).toBe('gpu');
      const { prefillLogits: got, referenceLogits: ref, unprunedLogits: all } = a.inspection!;
      expect(got.length).toBe(FIXTURE_VLM.decoder.vocab);
      expect(diff(got, ref), method).toBeLessThanOrEqual(tol(ref));
      if (method === 'prumerge') expect(diff(got, all)).toBeGreaterThan(tol(all));
      else expect(diff(got, all), method).toBeLessThanOrEqual(tol(all));
    }
  });

  it('the GPU preprocessing feeds the models as the CPU path does', async () => {
    const gpu = await ask({ ...inspect, method: 'none' });
    const cpu = await ask({ ...inspect, method: 'none' }, { ...models, provider: 'wasm' });
    expect(cpu).toMatchObject({ provider: 'wasm', path: 'cpu', decoder: { cache: 'cpu' } });
    // canvas + CPU resampling against copyExternalImageToTexture + the WGSL kernel, then each
    // path's own vision encoder, relevance model and decoder (GPU against wasm). Tolerances:
    // scores 1e-3 absolute, logits 1e-3 · max(1, max |logit|) (observed 8e-7 and 1.2e-5 on
    // SwiftShader; other vision features, as PruMerge's, move logits by ~5e-2)
    const scores = (r: AskResult) => r.selection.frames.map((f) => f.score);
    expect(diff(scores(gpu), scores(cpu))).toBeLessThan(1e-3);
    const all = cpu.inspection!.unprunedLogits;
    expect(diff(gpu.inspection!.unprunedLogits, all)).toBeLessThan(
      1e-3 * Math.max(1, ...all.map(Math.abs)),
    );
  });

  it('same seed, same pruning and answer at temperature 1; another seed, another', async () => {
    const s = (seed: number): AskSettings => ({
      ...settings,
      method: 'random',
      keepRatio: 0.5,
      seed,
      generation: { maxTokens: 6, temperature: 1, topP: 1 },
    });
    const [a, b, c] = [await ask(s(7)), await ask(s(7)), await ask(s(8))];
    const kept = (r: AskResult) => r.selection.frames.map((f) => f.indices);
    expect(b.ids).toEqual(a.ids);
    expect(kept(b)).toEqual(kept(a));
    expect(kept(c)).not.toEqual(kept(a));
    expect(c.ids).not.toEqual(a.ids);
  });

  it('every allocation mode keeps the total it promises', async () => {
    const L = 3;
    const N = 64;
    const rho = 0.3;
    for (const allocation of ['exact', 'paper', 'uniform', 'hard'] as const) {
      const r = await session.request<Selection>('select', {
        question: 'Where was the star?',
        settings: { ...settings, allocation, keepRatio: rho },
        models,
      });
      if (r.error) throw new Error(r.error.message);
      const s = r.result.frames.map((f) => f.score);
      const mean = s.reduce((a, b) => a + b, 0) / L;
      const e = s.map((x) => Math.exp((x - mean) / settings.temperature));
      const rates = e.map((x) => (L * rho * x) / e.reduce((a, b) => a + b, 0));
      const promised = {
        exact: Math.round(rho * L * N),
        hard: Math.round(rho * L * N),
        uniform: L * Math.round(rho * N),
        // settings.method is ToMe: the reference's ToMe removes floor(N·(1 − r)) of a frame
        paper: rates.reduce((a, x) => a + N - Math.floor(N * Math.max(0, 1 - x)), 0),
      }[allocation];
      expect(settings.method).toBe('tome');
      expect(r.result.visualKept, allocation).toBe(promised);
    }
  });

  it('without WebGPU the page still answers: models on wasm, KVTP on the CPU', async () => {
    const r = await askWithoutWebGpu(video, { question: 'What colour?', settings, models });
    expect(r.capabilities.adapter).toBeNull(); // navigator.gpu exists, no adapter behind it
    expect(r.capabilities.gpuError?.code).toBe('no-adapter');
    expect(r.answer).toMatchObject({ provider: 'wasm', path: 'cpu', decoder: { cache: 'cpu' } });
    expect(r.answer.transfers!.metered).toBe(false);
    expect(r.answer.selection.visualKept).toBe(Math.round(0.25 * 4 * 64));
  });
});

describe('kvtp ask', () => {
  it('prints the answer with the selection, token counts and timings as JSON', async () => {
    const { stdout } = await run(
      'node',
      [
        'bin/kvtp.mjs',
        'ask',
        video,
        'What colour?',
        '--frames',
        '4',
        '--keep',
        '0.5',
        '--max-tokens',
        '4',
        '--model',
        'fixture-vlm',
        '--relevance',
        'fixture-relevance',
        '--json',
      ],
      { maxBuffer: 1 << 24 },
    );
    const r = JSON.parse(stdout) as {
      answer: string;
      streamed: string;
      model: string;
      frames: { t: number; keep: number; tokens: number; groups: number[][] }[];
      tokens: { visual_total: number; visual_kept: number; prompt: number; generated: number };
      timings: Record<string, number>;
    };
    expect(r.model).toBe('fixture-vlm');
    expect(r.streamed).toBe(r.answer);
    expect(r.frames).toHaveLength(4);
    expect(r.tokens.visual_total).toBe(4 * 64);
    expect(r.tokens.visual_kept).toBe(r.frames.reduce((a, f) => a + f.keep, 0));
    expect(r.tokens.visual_kept).toBe(128); // round(0.5 · 4 · 64): what exact allocation promises
    expect(Object.keys(r.timings).sort()).toEqual([
      'decode_ms',
      'first_token_ms',
      'prefill_ms',
      'reduce_ms',
      'relevance_ms',
      'tokens_per_s',
      'vision_ms',
    ]);
    expect(r.timings.vision_ms).toBeGreaterThan(0);
  });

  it('explains its usage', async () => {
    const e = await run('node', ['bin/kvtp.mjs', 'ask', video, '--json']).catch(
      (x: { code: number; stdout: string }) => x,
    );
    expect((e as { code: number }).code).toBe(2);
    expect(JSON.parse((e as { stdout: string }).stdout).error.code).toBe('usage');
  });
});
