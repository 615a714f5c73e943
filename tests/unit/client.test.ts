// The worker client: results, events, errors and cancellation over a fake worker.
import { describe, expect, it } from 'vitest';
import { PipelineClient, PipelineError, type WorkerLike } from '../../src/worker/client.ts';
import type { FromWorker, ToWorker } from '../../src/worker/protocol.ts';

function fakeWorker(reply: (msg: ToWorker, send: (m: FromWorker) => void) => void): WorkerLike {
  const listeners: ((e: MessageEvent<FromWorker>) => void)[] = [];
  const send = (m: FromWorker) =>
    queueMicrotask(() => listeners.forEach((l) => l({ data: m } as MessageEvent<FromWorker>)));
  return {
    postMessage: (msg) => reply(msg, send),
    addEventListener: (type: string, l: unknown) => {
      if (type === 'message') listeners.push(l as (e: MessageEvent<FromWorker>) => void);
    },
  };
}

const caps = { webgpu: true, adapter: 'x', f16: false, webcodecs: true, gpuError: null };

describe('PipelineClient', () => {
  it('resolves a request with its result after its events', async () => {
    const client = new PipelineClient(
      fakeWorker((msg, send) => {
        if (msg.type !== 'request') return;
        send({
          type: 'event',
          id: msg.id,
          event: { type: 'progress', stage: 's', done: 1, total: 2 },
        });
        send({ type: 'result', id: msg.id, result: caps });
      }),
    );
    const events: unknown[] = [];
    const result = await client.request('capabilities', {}, { onEvent: (e) => events.push(e) });
    expect(result).toEqual(caps);
    expect(events).toEqual([{ type: 'progress', stage: 's', done: 1, total: 2 }]);
  });

  it('rejects with the worker’s error code and message', async () => {
    const client = new PipelineClient(
      fakeWorker((msg, send) => {
        if (msg.type === 'request') {
          send({ type: 'error', id: msg.id, error: { code: 'corrupt', message: 'Broken file.' } });
        }
      }),
    );
    const err = await client.request('capabilities', {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PipelineError);
    expect(err).toMatchObject({ code: 'corrupt', message: 'Broken file.' });
  });

  it('sends a cancel for an aborted request, and the worker’s cancelled error ends it', async () => {
    const seen: ToWorker[] = [];
    const client = new PipelineClient(
      fakeWorker((msg, send) => {
        seen.push(msg);
        if (msg.type === 'cancel') {
          send({ type: 'error', id: msg.id, error: { code: 'cancelled', message: 'Cancelled.' } });
        }
      }),
    );
    const controller = new AbortController();
    const pending = client.request('capabilities', {}, { signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: 'cancelled' });
    expect(seen.map((m) => m.type)).toEqual(['request', 'cancel']);
  });

  it('rejects at once when the signal is already aborted', async () => {
    const client = new PipelineClient(fakeWorker(() => {}));
    await expect(
      client.request('capabilities', {}, { signal: AbortSignal.abort() }),
    ).rejects.toMatchObject({ code: 'cancelled' });
  });
});
