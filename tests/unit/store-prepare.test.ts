// Frame preparation as the page shows it: progress per tower from the worker's `prepare`, ready
// when it answers, a newer preparation cancelling the running one, and the line the page shows.
import { afterEach, describe, expect, it } from 'vitest';
import { setPipelineClient } from '../../src/store/pipeline.ts';
import { prepareLine, usePrepareStore } from '../../src/store/prepare.ts';
import type { ToWorker } from '../../src/worker/protocol.ts';
import { fakePipeline } from './fake-worker.ts';

const models = { vlm: 'demo-vlm', relevance: 'demo-relevance' };
afterEach(() => {
  usePrepareStore.getState().cancel();
  setPipelineClient(null);
});

describe('prepare store', () => {
  it('follows the encoding chunk by chunk and is ready when the worker answers', async () => {
    let answer: (() => void) | null = null;
    const fake = fakePipeline((req, send) => {
      if (req.command !== 'prepare') return;
      for (const done of [0, 4, 8]) {
        send({
          type: 'event',
          id: req.id,
          event: { type: 'progress', stage: 'encoding frames', done, total: 8 },
        });
      }
      answer = () => send({ type: 'result', id: req.id, result: { frames: 8, encoded: true } });
    });
    setPipelineClient(fake.client);
    usePrepareStore.getState().start(models);
    await expect.poll(() => usePrepareStore.getState().done).toBe(8);
    expect(prepareLine(usePrepareStore.getState())).toBe('Preparing frames 8/8');
    expect(fake.requests[0]!.args).toEqual({ models });
    answer!();
    await expect.poll(() => usePrepareStore.getState().status).toBe('ready');
    expect(prepareLine(usePrepareStore.getState())).toBeNull();
  });

  it('a newer preparation (other models) cancels the running one', async () => {
    const fake = fakePipeline(() => {}); // never answers
    setPipelineClient(fake.client);
    usePrepareStore.getState().start(models);
    usePrepareStore.getState().start({ ...models, vlm: 'smolvlm2-256m-video' });
    const [first, second] = fake.requests as Extract<ToWorker, { type: 'request' }>[];
    expect(fake.cancelled.has(first!.id)).toBe(true);
    expect(fake.cancelled.has(second!.id)).toBe(false);
    await Promise.resolve();
    expect(usePrepareStore.getState().status).toBe('preparing');
  });

  it('names what the frames wait for', () => {
    const base = { status: 'preparing' as const, done: 0, total: 0 };
    expect(prepareLine({ ...base, stage: 'Loading the models' })).toBe(
      'Preparing frames: Loading the models…',
    );
    expect(
      prepareLine({ ...base, stage: 'encoding frames for relevance', done: 3, total: 6 }),
    ).toBe('Preparing frames for relevance 3/6');
    expect(prepareLine({ ...base, status: 'failed', stage: null })).toBeNull();
  });
});
