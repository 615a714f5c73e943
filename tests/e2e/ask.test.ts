// Asking about a video in headless Chromium (WebGPU on SwiftShader), through the pipeline worker
// and the fixture model packages (random weights, the real contracts): the selection event before
// the tokens, the streamed tokens making the answer, KVTP's budgets and groups as promised, and
// re-selection and follow-up questions that reuse the decoded frames and the features (counted).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSession, type AutomationSession } from '../../cli/browser.ts';
import type {
  AskResult,
  AskSettings,
  Selection,
  WorkCounters,
} from '../../src/worker/ask-types.ts';
import type { OpenResult } from '../../src/worker/protocol.ts';
import { testVideo } from '../fixtures/videos.ts';

const run = promisify(execFile);
let session: AutomationSession;
let video: string;
beforeAll(async () => {
  [session, video] = await Promise.all([openSession(), testVideo('h264-bframes')]);
});
afterAll(() => session?.close());

const models = { vlm: 'fixture-vlm', relevance: 'fixture-relevance' };
const settings: AskSettings = {
  method: 'tome',
  allocation: 'kvtp',
  keepRatio: 0.25,
  temperature: 2,
  minPerFrame: 1,
  head: 'logit',
  seed: 0,
  generation: { maxTokens: 6, temperature: 0, topP: 1 },
};

async function counters(): Promise<WorkCounters> {
  const c = await session.request<WorkCounters>('counters', {});
  if (c.error) throw new Error(c.error.message);
  return c.result;
}

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
    // WebGPU: the KV cache stays on the GPU, only top-K candidates come back, one cache row per token
    expect(answer.provider).toBe('webgpu');
    expect(answer.decoder.cache).toBe('gpu');
    expect(answer.decoder.logitRowsRead).toBe(0);
    const fed = answer.figures.generatedTokens - (answer.stop === 'max-tokens' ? 1 : 0);
    expect(answer.decoder.cacheLength).toBe(answer.figures.promptTokens + fed);
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
    const after = await counters();
    expect(after).toMatchObject({ videoDecodes: 1, visionEncodes: 1, relevanceImageEncodes: 1 });
    expect(after.selections).toBe(before.selections + 2);
    expect(after.generations).toBe(before.generations + 1);
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
