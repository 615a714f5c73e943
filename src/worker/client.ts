// The page's side of the pipeline worker: typed requests that resolve to results, events
// delivered to a callback, cancellation through an AbortSignal. Used by the UI store and by the
// automation page that the `kvtp` command line drives: one protocol for both.

import type { ErrorInfo } from '../core/errors.ts';
import type {
  ArgsOf,
  CommandName,
  FromWorker,
  PipelineEvent,
  ResultOf,
  ToWorker,
} from './protocol.ts';

/** A request that ended with an error from the worker. */
export class PipelineError extends Error {
  readonly code: string;
  constructor(info: ErrorInfo) {
    super(info.message);
    this.name = 'PipelineError';
    this.code = info.code;
  }
}

export interface RequestOptions {
  signal?: AbortSignal;
  onEvent?: (event: PipelineEvent) => void;
}

/** Anything that speaks the worker's side of the protocol (a Worker, or a MessagePort). */
export interface WorkerLike {
  postMessage(message: ToWorker, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (e: MessageEvent<FromWorker>) => void): void;
  addEventListener(type: 'error', listener: (e: ErrorEvent) => void): void;
  terminate?(): void;
}

interface Pending {
  resolve(result: unknown): void;
  reject(error: PipelineError): void;
  onEvent?: (event: PipelineEvent) => void;
}

export class PipelineClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly worker: WorkerLike) {
    worker.addEventListener('message', (e: MessageEvent<FromWorker>) => this.receive(e.data));
    worker.addEventListener('error', (e: ErrorEvent) => {
      const info = { code: 'worker-crashed', message: `The pipeline worker stopped: ${e.message}` };
      for (const p of this.pending.values()) p.reject(new PipelineError(info));
      this.pending.clear();
    });
  }

  /** Start the app's pipeline worker (in a browser). */
  static start(): PipelineClient {
    const worker = new Worker(new URL('./pipeline.worker.ts', import.meta.url), {
      type: 'module',
      name: 'kvtp-pipeline',
    });
    return new PipelineClient(worker);
  }

  request<K extends CommandName>(
    command: K,
    args: ArgsOf<K>,
    options: RequestOptions = {},
  ): Promise<ResultOf<K>> {
    const id = this.nextId++;
    const { signal, onEvent } = options;
    return new Promise<ResultOf<K>>((resolve, reject) => {
      if (signal?.aborted) {
        reject(new PipelineError({ code: 'cancelled', message: 'Cancelled.' }));
        return;
      }
      const onAbort = () => this.worker.postMessage({ type: 'cancel', id });
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        resolve: (r) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(r as ResultOf<K>);
        },
        reject: (e) => {
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
        onEvent,
      });
      this.worker.postMessage({ type: 'request', id, command, args });
    });
  }

  terminate(): void {
    this.worker.terminate?.();
  }

  private receive(msg: FromWorker): void {
    const p = this.pending.get(msg.id);
    if (!p) {
      if (msg.type === 'event' && msg.event.type === 'frame') msg.event.thumbnail?.close();
      return;
    }
    if (msg.type === 'event') p.onEvent?.(msg.event);
    else if (msg.type === 'result') {
      this.pending.delete(msg.id);
      p.resolve(msg.result);
    } else {
      this.pending.delete(msg.id);
      p.reject(new PipelineError(msg.error));
    }
  }
}
