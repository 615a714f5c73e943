// The sample videos that ship with the app (public/samples, made by tools/demo/make_videos.py):
// listed from samples.json, opened like a dropped file, with the questions the demo model can
// answer about each, which the chat offers as suggestions.

import { create } from 'zustand';

/** One sample video and questions about it (samples.json). */
export interface Sample {
  readonly file: string;
  readonly title: string;
  readonly duration: number;
  /** The featured question and its expected answer. */
  readonly question: string;
  readonly answer: string;
  readonly questions: readonly { readonly question: string; readonly answer: string }[];
}

export interface SamplesState {
  readonly samples: readonly Sample[];
  /** A sample is being fetched (its file name). */
  readonly fetching: string | null;
  readonly error: string | null;
  /** Read samples.json (once). */
  load(): Promise<void>;
  /** Fetch a sample as a File, to open like a dropped one. */
  fetchFile(sample: Sample): Promise<File | null>;
}

const base = () => `${import.meta.env.BASE_URL}samples/`;

let loading: Promise<void> | null = null;

export const useSamplesStore = create<SamplesState>()((set) => ({
  samples: [],
  fetching: null,
  error: null,
  load() {
    loading ??= fetch(`${base()}samples.json`)
      .then((r) => (r.ok ? (r.json() as Promise<{ samples: Sample[] }>) : { samples: [] }))
      .then((j) => set({ samples: j.samples }))
      .catch(() => set({ samples: [] })); // no samples served: the drop zone alone
    return loading;
  },
  async fetchFile(sample) {
    set({ fetching: sample.file, error: null });
    try {
      const r = await fetch(`${base()}${sample.file}`);
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      const blob = await r.blob();
      return new File([blob], sample.file, { type: 'video/mp4' });
    } catch (e) {
      set({ error: `Could not load the sample video (${(e as Error).message}).` });
      return null;
    } finally {
      set({ fetching: null });
    }
  },
}));

/** The sample a video name belongs to, if it is one. */
export function sampleNamed(samples: readonly Sample[], name: string | undefined): Sample | null {
  return samples.find((s) => s.file === name) ?? null;
}
