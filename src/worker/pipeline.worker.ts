// The pipeline worker: the adapter between the message protocol and the engine it holds (which
// owns the GPU device, the models and the open video). It runs one handler per request, streams
// events, answers with one result or error, and aborts a request when asked. The UI thread never
// does heavy work; it only draws what this worker reports.

/// <reference lib="webworker" />
import { toErrorInfo } from '../core/errors.ts';
import { exclusive, handlersFor, workerEngine, type Handler } from './handlers.ts';
import type { CommandName, FromWorker, ToWorker } from './protocol.ts';

declare const self: DedicatedWorkerGlobalScope;

const handlers = handlersFor(workerEngine());
const running = new Map<number, { command: CommandName; controller: AbortController }>();

function post(message: FromWorker, transfer: Transferable[] = []) {
  self.postMessage(message, transfer);
}

self.addEventListener('message', (e: MessageEvent<ToWorker>) => {
  const msg = e.data;
  if (msg.type === 'cancel') {
    running.get(msg.id)?.controller.abort();
    return;
  }
  void run(msg.id, msg.command, msg.args);
});

async function run(id: number, command: CommandName, args: unknown) {
  if (exclusive.has(command)) {
    for (const r of running.values()) if (r.command === command) r.controller.abort();
  }
  const controller = new AbortController();
  running.set(id, { command, controller });
  const handler = handlers[command] as Handler<CommandName>;
  try {
    const result = await handler(args as never, {
      signal: controller.signal,
      emit: (event, transfer) => post({ type: 'event', id, event }, transfer),
    });
    post({ type: 'result', id, result });
  } catch (e) {
    post({ type: 'error', id, error: toErrorInfo(e) });
  } finally {
    running.delete(id);
  }
}
