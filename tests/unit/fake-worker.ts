// A scriptable stand-in for the pipeline worker, speaking the real protocol, for store and
// component tests (the real worker needs a browser; it is tested in the e2e tier).
import { PipelineClient, type WorkerLike } from '../../src/worker/client.ts';
import type { FromWorker, ToWorker } from '../../src/worker/protocol.ts';

export type Script = (
  request: Extract<ToWorker, { type: 'request' }>,
  send: (m: FromWorker) => void,
  cancelled: () => boolean,
) => void | Promise<void>;

export function fakePipeline(script: Script) {
  const listeners: ((e: MessageEvent<FromWorker>) => void)[] = [];
  const cancelled = new Set<number>();
  const requests: Extract<ToWorker, { type: 'request' }>[] = [];
  const send = (m: FromWorker) =>
    queueMicrotask(() => listeners.forEach((l) => l({ data: m } as MessageEvent<FromWorker>)));
  const worker: WorkerLike = {
    postMessage(msg) {
      if (msg.type === 'cancel') {
        cancelled.add(msg.id);
        send({ type: 'error', id: msg.id, error: { code: 'cancelled', message: 'Cancelled.' } });
        return;
      }
      requests.push(msg);
      void script(msg, send, () => cancelled.has(msg.id));
    },
    addEventListener(type: string, l: unknown) {
      if (type === 'message') listeners.push(l as (e: MessageEvent<FromWorker>) => void);
    },
  };
  return { client: new PipelineClient(worker), requests, cancelled };
}

export const sampleInfo = {
  name: 'clip.mp4',
  size: 123456,
  container: 'mp4' as const,
  codec: 'avc1.64001e',
  width: 320,
  height: 240,
  rotation: 0 as const,
  duration: 10,
  frameCount: 300,
  fragmented: false,
};
