// @vitest-environment happy-dom
// The conversation store: a question streams into its turn after the selection arrives, a pruning change
// after a question re-runs only the selection, Stop cancels, and a finished run exports as JSON.
import { beforeEach, describe, expect, it } from 'vitest';
import { useModelsStore } from '../../src/store/models.ts';
import {
  DEFAULT_CONTROLS,
  loadControls,
  useConversationStore,
} from '../../src/store/conversation.ts';
import { setPipelineClient } from '../../src/store/pipeline.ts';
import type { AskResult, Selection } from '../../src/engine/types.ts';
import { fakePipeline } from './fake-worker.ts';

function selection(question: string, keep: number): Selection {
  return {
    question,
    settings: {
      method: 'tome',
      allocation: 'exact',
      keepRatio: 0.2,
      temperature: 2,
      minPerFrame: 1,
      head: 'logit',
      seed: 0,
    },
    grid: [2, 2],
    imageFit: [1, 1],
    frames: [{ t: 0.5, score: 1, keep, tokens: 4, indices: [0], groups: [[0, 1, 2, 3]] }],
    visualTotal: 4,
    visualKept: keep,
  };
}

const figures = {
  visualTotal: 4,
  visualKept: 1,
  promptTokens: 10,
  promptTokensUnpruned: 13,
  generatedTokens: 2,
  prefillFlops: 1,
  prefillFlopsUnpruned: 2,
  timings: {
    decodeMs: 1,
    visionMs: 1,
    relevanceMs: 1,
    reduceMs: 1,
    prefillMs: 1,
    firstTokenMs: 1,
    tokensPerSecond: 1,
  },
};

function script(opts: { hang?: boolean; lost?: boolean } = {}) {
  return fakePipeline((req, send, cancelled) => {
    const args = req.args as { question: string; settings: { keepRatio: number } };
    if (req.command === 'select') {
      send({
        type: 'result',
        id: req.id,
        result: selection(args.question, Math.round(args.settings.keepRatio * 4)),
      });
      return;
    }
    if (req.command !== 'ask') return;
    const sel = selection(args.question, 1);
    if (opts.lost) {
      const message = 'The GPU device was lost: this question runs on a new device.';
      send({
        type: 'event',
        id: req.id,
        event: { type: 'notice', code: 'device-lost', message, reason: null },
      });
    }
    send({ type: 'event', id: req.id, event: { type: 'selection', selection: sel } });
    send({ type: 'event', id: req.id, event: { type: 'token', id: 7, text: 'Re' } });
    if (opts.hang) return; // answered only by a cancel
    send({ type: 'event', id: req.id, event: { type: 'token', id: 8, text: 'd.' } });
    if (cancelled()) return;
    const result: AskResult = {
      answer: 'Red.',
      model: 'fixture-vlm',
      provider: 'webgpu',
      decoder: { cache: 'gpu', logitRowsRead: 0, cacheLength: 12 },
      selection: sel,
      figures,
      stop: 'eos',
    };
    send({ type: 'result', id: req.id, result });
  });
}

beforeEach(() => {
  useConversationStore.setState({
    controls: DEFAULT_CONTROLS,
    turns: [],
    results: {},
    selection: null,
    busy: false,
    reselecting: false,
  });
});

describe('conversation store', () => {
  it('streams the answer into the turn, keeps the selection and exports the run', async () => {
    const fake = script();
    setPipelineClient(fake.client);
    await useConversationStore.getState().ask('What colour?');
    const s = useConversationStore.getState();
    expect(s.turns).toHaveLength(1);
    expect(s.turns[0]).toMatchObject({ question: 'What colour?', answer: 'Red.', status: 'done' });
    expect(s.selection?.question).toBe('What colour?');
    expect(s.busy).toBe(false);
    const exported = JSON.parse(s.exportTurn(s.turns[0]!.id)!) as {
      question: string;
      answer: string;
    };
    expect(exported).toMatchObject({ question: 'What colour?', answer: 'Red.' });
    expect((fake.requests[0]!.args as { settings: { method: string } }).settings.method).toBe(
      'tome',
    );
  });

  it('re-runs only the selection when a pruning setting changes after a question', async () => {
    const fake = script();
    setPipelineClient(fake.client);
    await useConversationStore.getState().ask('What colour?');
    useConversationStore.getState().setControls({ keepRatio: 0.5 });
    await expect.poll(() => useConversationStore.getState().selection?.visualKept).toBe(2);
    expect(fake.requests.map((r) => r.command)).toEqual(['ask', 'select']);
    useConversationStore.getState().setControls({ frames: 16 }); // not a pruning setting: nothing runs
    expect(fake.requests).toHaveLength(2);
  });

  it('a lost device is said beside the answer that ran on the new one, the others untouched', async () => {
    setPipelineClient(script().client);
    await useConversationStore.getState().ask('What colour?');
    setPipelineClient(script({ lost: true }).client);
    await useConversationStore.getState().ask('What shape?');
    const [first, second] = useConversationStore.getState().turns;
    expect(first).toMatchObject({ answer: 'Red.', status: 'done', note: null });
    expect(second).toMatchObject({ answer: 'Red.', status: 'done' });
    expect(second!.note).toMatch(/GPU device was lost/);
    // said beside that answer only, not kept in the models panel past the question
    expect(useModelsStore.getState().notices.some((n) => n.code === 'device-lost')).toBe(false);
  });

  it('Stop cancels the running answer and keeps what came', async () => {
    const fake = script({ hang: true });
    setPipelineClient(fake.client);
    const asking = useConversationStore.getState().ask('What colour?');
    await expect.poll(() => useConversationStore.getState().turns[0]?.answer).toBe('Re');
    useConversationStore.getState().stop();
    await asking;
    expect(useConversationStore.getState().turns[0]).toMatchObject({
      status: 'stopped',
      answer: 'Re',
      error: null,
    });
    expect(fake.cancelled.size).toBe(1);
  });
});

describe('saved controls', () => {
  it("reads settings saved when the exact allocation was called 'kvtp' as 'exact'", () => {
    localStorage.setItem(
      'kvtp.settings.v1',
      JSON.stringify({ allocation: 'kvtp', keepRatio: 0.3 }),
    );
    try {
      expect(loadControls()).toEqual({ ...DEFAULT_CONTROLS, allocation: 'exact', keepRatio: 0.3 });
      localStorage.setItem('kvtp.settings.v1', JSON.stringify({ allocation: 'paper' }));
      expect(loadControls().allocation).toBe('paper');
    } finally {
      localStorage.removeItem('kvtp.settings.v1');
    }
  });
});
