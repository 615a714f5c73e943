// Frame preparation, as the page shows it: once a video is open (and again when the models
// change), the worker encodes its frames with the chosen models while the user types — the VLM's
// vision encoder and the relevance image tower — so the first question costs what a follow-up
// costs. A newer preparation cancels the running one; a question asked meanwhile waits for it in
// the worker. Failures are shown quietly: the question will say what went wrong, plainly.

import { create } from 'zustand';
import { PipelineError } from '../worker/client.ts';
import type { ModelChoice } from '../worker/protocol.ts';
import { pipeline } from './pipeline.ts';

export interface PrepareState {
  /** `preparing` while frames are encoded; `ready` once the open video's features are there. */
  readonly status: 'idle' | 'preparing' | 'ready' | 'failed';
  /** What is being done (loading models, encoding frames…), and how far. */
  readonly stage: string | null;
  readonly done: number;
  readonly total: number;
  readonly error: string | null;
  /** Prepare the open video's frames with `models` (cancels a running preparation). */
  start(models: ModelChoice): void;
  /** Stop preparing (no video any more). */
  cancel(): void;
}

let running: AbortController | null = null;

export const usePrepareStore = create<PrepareState>()((set) => ({
  status: 'idle',
  stage: null,
  done: 0,
  total: 0,
  error: null,

  start(models) {
    running?.abort();
    const controller = (running = new AbortController());
    set({ status: 'preparing', stage: 'Loading the models', done: 0, total: 0, error: null });
    pipeline()
      .request(
        'prepare',
        { models },
        {
          signal: controller.signal,
          onEvent: (e) => {
            if (e.type !== 'progress' || running !== controller) return;
            // model downloads show in the models panel; here, what the frames wait for
            if (e.download) set({ stage: 'Loading the models', done: 0, total: 0 });
            else set({ stage: e.stage, done: e.done, total: e.total });
          },
        },
      )
      .then(
        () => {
          if (running === controller) set({ status: 'ready', stage: null });
        },
        (e: unknown) => {
          if (running !== controller) return;
          const cancelled = e instanceof PipelineError && e.code === 'cancelled';
          set({
            status: cancelled ? 'idle' : 'failed',
            stage: null,
            error: cancelled ? null : e instanceof Error ? e.message : String(e),
          });
        },
      )
      .finally(() => {
        if (running === controller) running = null;
      });
  },

  cancel() {
    running?.abort();
    running = null;
    set({ status: 'idle', stage: null, done: 0, total: 0, error: null });
  },
}));

/** The line the page shows while frames are prepared, e.g. "Preparing frames 12/32". */
export function prepareLine(
  s: Pick<PrepareState, 'status' | 'stage' | 'done' | 'total'>,
): string | null {
  if (s.status !== 'preparing') return null;
  if (s.stage === 'encoding frames' && s.total > 0) return `Preparing frames ${s.done}/${s.total}`;
  if (s.stage === 'encoding frames for relevance' && s.total > 0) {
    return `Preparing frames for relevance ${s.done}/${s.total}`;
  }
  return `Preparing frames: ${s.stage ?? 'starting'}…`;
}
