// Frames encoded while the user types (issue 16), in headless Chromium through the worker: once a
// video is open, `prepare` encodes its frames with the chosen models (progress per tower); the first
// question after it encodes nothing again (no encoding progress, vision time 0, the encoder ran
// once), and a question asked while the preparation runs waits for it instead of encoding again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSession, type AutomationSession } from '../../cli/browser.ts';
import type { AskResult, AskSettings, PrepareResult } from '../../src/engine/types.ts';
import type { OpenResult, PipelineEvent } from '../../src/worker/protocol.ts';
import { engineCounters, FIXTURE_MODELS, FIXTURE_SETTINGS } from './fixture-ask.ts';
import { testVideo } from '../fixtures/videos.ts';

let session: AutomationSession;
let video: string;
beforeAll(async () => {
  [session, video] = await Promise.all([openSession(), testVideo('h264-bframes')]);
});
afterAll(() => session?.close());

const models = FIXTURE_MODELS;
const settings: AskSettings = {
  ...FIXTURE_SETTINGS,
  generation: { ...FIXTURE_SETTINGS.generation, maxTokens: 3 },
};
const counters = () => engineCounters(session);

const encodingStages = (events: PipelineEvent[]) =>
  events.filter((e) => e.type === 'progress' && e.stage.startsWith('encoding frames'));

describe('prepare', () => {
  it('encodes the frames ahead, and the first question does not encode them again', async () => {
    const opened = await session.request<OpenResult>('open', { frames: 6 }, { file: video });
    expect(opened.error).toBeUndefined();
    const before = await counters();
    const events: PipelineEvent[] = [];
    const prepared = await session.request<PrepareResult>(
      'prepare',
      { models },
      { onEvent: (e) => events.push(e as PipelineEvent) },
    );
    if (prepared.error) throw new Error(prepared.error.message);
    expect(prepared.result).toMatchObject({ frames: 6, encoded: true });
    const stages = encodingStages(events);
    expect(stages.length).toBeGreaterThan(0);
    const last = stages.at(-1)!;
    expect(last.type === 'progress' && last.done === last.total).toBe(true);
    expect((await counters()).visionEncodes).toBe(before.visionEncodes + 1);

    const asked: PipelineEvent[] = [];
    const r = await session.request<AskResult>(
      'ask',
      { question: 'What colour was the triangle?', settings, models },
      { onEvent: (e) => asked.push(e as PipelineEvent) },
    );
    if (r.error) throw new Error(r.error.message);
    expect(encodingStages(asked)).toEqual([]);
    expect(r.result.figures.timings.visionMs).toBe(0);
    expect((await counters()).visionEncodes).toBe(before.visionEncodes + 1);

    // prepared again with the same models: nothing to do
    const again = await session.request<PrepareResult>('prepare', { models });
    expect(again.result).toMatchObject({ encoded: false, visionMs: 0 });
  });

  it('a question asked while the frames are prepared waits for them', async () => {
    const opened = await session.request<OpenResult>('open', { frames: 5 }, { file: video });
    expect(opened.error).toBeUndefined();
    const before = await counters();
    const preparing = session.request<PrepareResult>('prepare', { models });
    const asking = session.request<AskResult>('ask', {
      question: 'How many circles?',
      settings,
      models,
    });
    const [p, a] = await Promise.all([preparing, asking]);
    if (p.error) throw new Error(p.error.message);
    if (a.error) throw new Error(a.error.message);
    expect(a.result.selection.frames).toHaveLength(5);
    const after = await counters();
    expect(after.visionEncodes).toBe(before.visionEncodes + 1);
    expect(after.relevanceImageEncodes).toBe(before.relevanceImageEncodes + 1);
  });
});
