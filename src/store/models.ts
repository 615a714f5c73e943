// The model packages the page asks with, as the model picker shows them: what the app knows
// (the embedded demo, the real Hub models), the choice (remembered in localStorage; a folder
// picked from disk lasts for the page, since its files cannot be stored), the model cache
// (size, per package, clear), the download in progress and notices (models on the CPU, cache not
// persistent), and the demo notice's answer (switch to a real model, or keep the demo; remembered).
// Nothing here loads a model: the worker does, on the next question.

import { create } from 'zustand';
import { folderRef, type ModelRef } from '../models/resolve.ts';
import { DEFAULT_RELEVANCE, DEFAULT_VLM } from '../models/registry.ts';
import type {
  DownloadStatus,
  ModelCacheListing,
  ModelChoice,
  ModelInfo,
  Notice,
} from '../worker/protocol.ts';
import { needsDemoNotice, REAL_VLM, type SampleRef } from '../models/demo-notice.ts';
import { pipeline } from './pipeline.ts';

export type ModelKind = 'vlm' | 'relevance';

const STORAGE_KEY = 'kvtp.models.v1';
/** "Keep the demo" on the demo notice (src/models/demo-notice.ts), remembered. */
const DEMO_KEPT_KEY = 'kvtp.demo-notice.v1';

function loadDemoKept(): boolean {
  try {
    return globalThis.localStorage?.getItem(DEMO_KEPT_KEY) === 'kept';
  } catch {
    return false;
  }
}

/** What the user chose, per kind: a package of the list, or a folder picked from disk. */
export interface Chosen {
  readonly vlm: ModelRef;
  readonly relevance: ModelRef;
}

export const DEFAULT_CHOICE: Chosen = {
  vlm: { kind: 'registry', id: DEFAULT_VLM.id },
  relevance: { kind: 'registry', id: DEFAULT_RELEVANCE.id },
};

function loadChoice(): Chosen {
  try {
    const saved = globalThis.localStorage?.getItem(STORAGE_KEY);
    if (!saved) return DEFAULT_CHOICE;
    const parsed = JSON.parse(saved) as Partial<Chosen>;
    const ok = (r: unknown): r is ModelRef =>
      typeof r === 'object' && r !== null && (r as ModelRef).kind !== 'folder';
    return {
      vlm: ok(parsed.vlm) ? parsed.vlm : DEFAULT_CHOICE.vlm,
      relevance: ok(parsed.relevance) ? parsed.relevance : DEFAULT_CHOICE.relevance,
    };
  } catch {
    return DEFAULT_CHOICE;
  }
}

function saveChoice(c: Chosen) {
  // a picked folder's files cannot be stored: remember the default in its place
  const storable = {
    vlm: c.vlm.kind === 'folder' ? DEFAULT_CHOICE.vlm : c.vlm,
    relevance: c.relevance.kind === 'folder' ? DEFAULT_CHOICE.relevance : c.relevance,
  };
  try {
    globalThis.localStorage?.setItem(STORAGE_KEY, JSON.stringify(storable));
  } catch {
    // private mode: the choice lasts for this page
  }
}

/** Whether two refs name the same package. */
export function sameRef(a: ModelRef, b: ModelRef): boolean {
  if (a.kind === 'folder' || b.kind === 'folder') return a === b;
  return JSON.stringify(a) === JSON.stringify(b);
}

export interface ModelsState {
  readonly models: readonly ModelInfo[];
  /** Where models run here, and whether the GPU has shader-f16 (from listModels). */
  readonly provider: 'webgpu' | 'wasm' | null;
  readonly f16: boolean;
  readonly chosen: Chosen;
  readonly cache: ModelCacheListing | null;
  /** The model file being fetched for the running question, if any. */
  readonly download: DownloadStatus | null;
  /** Notices from the worker (wasm fallback, cache not persistent), newest last, one per code. */
  readonly notices: readonly Notice[];
  readonly error: string | null;
  /** The user chose to keep the demo model for videos it was not made for (remembered). */
  readonly demoKept: boolean;
  /** The demo notice's two answers: switch to the real model (remembered as the choice), or keep. */
  switchFromDemo(): void;
  keepDemo(): void;
  /** List the packages and the cache (again). */
  refresh(): Promise<void>;
  choose(kind: ModelKind, ref: ModelRef): void;
  /** Use a package folder picked from disk (<input webkitdirectory>) for `kind`. */
  chooseFolder(kind: ModelKind, files: Iterable<File>): void;
  /** Empty the model cache: one package (its key) or all. */
  clearCache(key?: string): Promise<void>;
  /** The worker's download progress and notices, as the conversation store receives them. */
  onDownload(status: DownloadStatus | null): void;
  onNotice(notice: Notice): void;
  /** What `ask` and `select` pass as `models`. */
  modelChoice(): ModelChoice;
}

export const useModelsStore = create<ModelsState>()((set, get) => ({
  models: [],
  provider: null,
  f16: false,
  chosen: loadChoice(),
  cache: null,
  download: null,
  notices: [],
  error: null,
  demoKept: loadDemoKept(),

  switchFromDemo() {
    get().choose('vlm', { kind: 'registry', id: REAL_VLM.id });
  },

  keepDemo() {
    set({ demoKept: true });
    try {
      globalThis.localStorage?.setItem(DEMO_KEPT_KEY, 'kept');
    } catch {
      // private mode: kept for this page
    }
  },

  async refresh() {
    try {
      const [list, cache] = await Promise.all([
        pipeline().request('listModels', {}),
        pipeline().request('modelCache', {}),
      ]);
      set({ models: list.models, provider: list.provider, f16: list.f16, cache, error: null });
    } catch (e) {
      set({ error: e instanceof Error ? e.message : String(e) });
    }
  },

  choose(kind, ref) {
    const chosen = { ...get().chosen, [kind]: ref };
    set({ chosen });
    saveChoice(chosen);
  },

  chooseFolder(kind, files) {
    const ref = folderRef(files);
    if (ref.files.length === 0) return;
    get().choose(kind, ref);
  },

  async clearCache(key) {
    try {
      const cache = await pipeline().request('clearModelCache', key ? { package: key } : {});
      set({ cache, error: null });
    } catch (e) {
      set({ error: e instanceof Error ? e.message : String(e) });
    }
  },

  onDownload(status) {
    const had = get().download;
    if (had === status) return;
    set({ download: status });
    // a finished download changes what the cache holds
    if (had && !status) void get().refresh();
  },

  onNotice(notice) {
    set((s) => ({ notices: [...s.notices.filter((n) => n.code !== notice.code), notice] }));
  },

  modelChoice() {
    const { vlm, relevance } = get().chosen;
    return { vlm, relevance };
  },
}));

/**
 * Whether the page shows the demo notice: the demo model is chosen, the open video is not one of
 * its samples, and the user has not chosen to keep the demo.
 */
export function showDemoNotice(
  state: Pick<ModelsState, 'chosen' | 'demoKept'>,
  video: { readonly name: string; readonly duration: number } | null,
  samples: readonly SampleRef[],
): boolean {
  return !state.demoKept && needsDemoNotice(state.chosen.vlm, video, samples);
}

/** The list's entry for a ref, if it names one of the app's packages. */
export function infoOf(models: readonly ModelInfo[], ref: ModelRef): ModelInfo | null {
  return models.find((m) => sameRef(m.ref, ref)) ?? null;
}
