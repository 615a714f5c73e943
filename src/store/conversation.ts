// Questions about the open video as the page shows them: the pruning settings (remembered in
// localStorage), the conversation (streamed answers with their figures), and the selection the
// pipeline used for the latest question, which the frame grid and the timeline draw. Changing a
// pruning setting after a question re-runs only the selection in the worker.

import { create } from 'zustand';
import type { AskResult, AskSettings, Selection } from '../engine/types.ts';
import { PipelineError } from '../worker/client.ts';
import type { TurnView } from '../ui/Chat.tsx';
import type { ControlValues } from '../ui/Controls.tsx';
import { useModelsStore } from './models.ts';
import { pipeline } from './pipeline.ts';

/** The packages the page asks with: the model picker's choice (by default the embedded demo). */
const models = () => useModelsStore.getState().modelChoice();

const STORAGE_KEY = 'kvtp.settings.v1';

/**
 * The defaults, from bench:accuracy on the demo (README, "The paper's table, on the demo"): keep
 * ratio 0.2 is the lowest at which KVTP loses no accuracy against all tokens (98.3 % vs 98.0 %,
 * 19 % of the prefill FLOPs); ToMe ties random there and merges rather than drops.
 */
export const DEFAULT_CONTROLS: ControlValues = {
  method: 'tome',
  allocation: 'exact',
  keepRatio: 0.2,
  temperature: 2,
  frames: 32,
  minPerFrame: 1,
  head: 'logit',
};

/** The saved controls over the defaults (exported for tests). */
export function loadControls(): ControlValues {
  try {
    const saved = globalThis.localStorage?.getItem(STORAGE_KEY);
    if (!saved) return DEFAULT_CONTROLS;
    const controls = { ...DEFAULT_CONTROLS, ...(JSON.parse(saved) as Partial<ControlValues>) };
    // Settings saved before the allocation had one name everywhere called 'exact' 'kvtp'.
    if ((controls.allocation as string) === 'kvtp') return { ...controls, allocation: 'exact' };
    return controls;
  } catch {
    return DEFAULT_CONTROLS;
  }
}

export interface ConversationState {
  readonly controls: ControlValues;
  readonly turns: readonly TurnView[];
  /** Full results of finished turns, by turn id (for export). */
  readonly results: Readonly<Record<number, AskResult>>;
  readonly selection: Selection | null;
  readonly busy: boolean;
  /** A re-selection is running (the view shows the previous one meanwhile). */
  readonly reselecting: boolean;
  setControls(patch: Partial<ControlValues>): void;
  ask(question: string): Promise<void>;
  stop(): void;
  exportTurn(id: number): string | null;
  /** A new video: its questions and selection no longer apply. */
  resetForVideo(): void;
}

let running: AbortController | null = null;
let reselect: AbortController | null = null;
let nextTurn = 1;

export function settingsOf(c: ControlValues): AskSettings {
  return {
    method: c.method,
    allocation: c.allocation,
    keepRatio: c.keepRatio,
    temperature: c.temperature,
    minPerFrame: c.minPerFrame,
    head: c.head,
    seed: 0,
    generation: { maxTokens: 64, temperature: 0, topP: 1 },
  };
}

export const useConversationStore = create<ConversationState>()((set, get) => {
  const patchTurn = (id: number, patch: Partial<TurnView>) =>
    set((s) => ({ turns: s.turns.map((t) => (t.id === id ? { ...t, ...patch } : t)) }));
  return {
    controls: loadControls(),
    turns: [],
    results: {},
    selection: null,
    busy: false,
    reselecting: false,

    setControls(patch) {
      const controls = { ...get().controls, ...patch };
      set({ controls });
      try {
        globalThis.localStorage?.setItem(STORAGE_KEY, JSON.stringify(controls));
      } catch {
        // private mode: settings last for this page only
      }
      const last = get().selection;
      const pruning = ['method', 'allocation', 'keepRatio', 'temperature', 'minPerFrame', 'head'];
      if (!last || get().busy || !Object.keys(patch).some((k) => pruning.includes(k))) return;
      reselect?.abort();
      const controller = (reselect = new AbortController());
      set({ reselecting: true });
      pipeline()
        .request(
          'select',
          { question: last.question, settings: settingsOf(controls), models: models() },
          { signal: controller.signal },
        )
        .then(
          (selection) => {
            if (reselect === controller) set({ selection, reselecting: false });
          },
          () => {
            if (reselect === controller) set({ reselecting: false });
          },
        );
    },

    async ask(question) {
      if (get().busy) return;
      const id = nextTurn++;
      const controller = (running = new AbortController());
      reselect?.abort();
      set((s) => ({
        busy: true,
        turns: [
          ...s.turns,
          {
            id,
            question,
            answer: '',
            status: 'waiting',
            stage: 'Starting',
            figures: null,
            error: null,
            note: null,
          },
        ],
      }));
      try {
        const result = await pipeline().request(
          'ask',
          { question, settings: settingsOf(get().controls), models: models() },
          {
            signal: controller.signal,
            onEvent: (e) => {
              if (e.type === 'progress') {
                patchTurn(id, { stage: e.stage });
                useModelsStore.getState().onDownload(e.download ?? null);
              } else if (e.type === 'notice') {
                // what changed under this question (a lost device) is said beside its answer
                // only: in the models panel it would outlive the question it is about
                if (e.code === 'device-lost') patchTurn(id, { note: e.message });
                else useModelsStore.getState().onNotice(e);
              } else if (e.type === 'selection') set({ selection: e.selection });
              else if (e.type === 'token') {
                const turn = get().turns.find((t) => t.id === id);
                patchTurn(id, { status: 'streaming', answer: (turn?.answer ?? '') + e.text });
              }
            },
          },
        );
        patchTurn(id, {
          answer: result.answer,
          status: result.stop === 'cancelled' ? 'stopped' : 'done',
          figures: result.figures,
          stage: null,
        });
        set((s) => ({ results: { ...s.results, [id]: result } }));
      } catch (e) {
        const cancelled = e instanceof PipelineError && e.code === 'cancelled';
        patchTurn(id, {
          status: cancelled ? 'stopped' : 'error',
          error: cancelled ? null : e instanceof Error ? e.message : String(e),
          stage: null,
        });
      } finally {
        if (running === controller) running = null;
        if (useModelsStore.getState().download) useModelsStore.getState().onDownload(null);
        set({ busy: false });
      }
    },

    stop() {
      running?.abort();
    },

    exportTurn(id) {
      const result = get().results[id];
      if (!result) return null;
      const turn = get().turns.find((t) => t.id === id);
      return JSON.stringify({ question: turn?.question, ...result }, null, 2);
    },

    resetForVideo() {
      running?.abort();
      reselect?.abort();
      set({ selection: null });
    },
  };
});
