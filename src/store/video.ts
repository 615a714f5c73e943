// The open video as the page shows it: its facts, sampling progress, the sampled frames'
// thumbnails and times, or a readable error. Frames themselves stay in the worker. Opening a new
// file cancels the running open; a failed open keeps the previous video on screen.

import { create } from 'zustand';
import type { ErrorInfo } from '../worker/errors.ts';
import { PipelineError } from '../worker/client.ts';
import type { VideoInfo } from '../video/types.ts';
import { pipeline } from './pipeline.ts';

export interface FrameView {
  readonly index: number;
  readonly t: number;
  readonly thumbnail: ImageBitmap | null;
}

export interface VideoState {
  /** `sampling` while a file is being opened; the previous video stays visible meanwhile. */
  readonly status: 'empty' | 'sampling' | 'ready';
  /** The video being opened (its name, then its facts once demuxed). */
  readonly pending: {
    name: string;
    info: VideoInfo | null;
    progress: number;
    /** Frames sampled so far, in time order (they appear as they are decoded). */
    frames: readonly FrameView[];
  } | null;
  /** The open video. */
  readonly info: VideoInfo | null;
  readonly frames: readonly FrameView[];
  /** How many samples the last open decoded and how long it took (for the curious). */
  readonly stats: { decodedSamples: number; elapsedMs: number } | null;
  /** The last open's error, shown until the next file. */
  readonly error: ErrorInfo | null;
  /** Number of frames to sample from the next file. */
  readonly frameCount: number;
  open(file: File): Promise<void>;
  setFrameCount(n: number): void;
  dismissError(): void;
}

let current: AbortController | null = null;

export const useVideoStore = create<VideoState>()((set, get) => ({
  status: 'empty',
  pending: null,
  info: null,
  frames: [],
  stats: null,
  error: null,
  frameCount: 32,

  async open(file) {
    current?.abort();
    const controller = new AbortController();
    current = controller;
    const incoming: FrameView[] = [];
    set((s) => {
      closeThumbnails(s.pending?.frames ?? []);
      return {
        status: 'sampling',
        pending: { name: file.name, info: null, progress: 0, frames: [] },
        error: null,
      };
    });
    const isCurrent = () => current === controller;
    try {
      const result = await pipeline().request(
        'open',
        { file, name: file.name, frames: get().frameCount, thumbnailEdge: 192 },
        {
          signal: controller.signal,
          onEvent: (event) => {
            if (!isCurrent()) {
              if (event.type === 'frame') event.thumbnail?.close();
              return;
            }
            if (event.type === 'video') {
              set((s) => ({ pending: s.pending && { ...s.pending, info: event.info } }));
            } else if (event.type === 'progress') {
              const progress = event.total > 0 ? event.done / event.total : 0;
              set((s) => ({ pending: s.pending && { ...s.pending, progress } }));
            } else if (event.type === 'frame') {
              incoming.push(event);
              const frames = [...incoming].sort((a, b) => a.index - b.index);
              set((s) => ({ pending: s.pending && { ...s.pending, frames } }));
            }
          },
        },
      );
      if (!isCurrent()) return;
      closeThumbnails(get().frames);
      set({
        status: 'ready',
        pending: null,
        info: result.info,
        frames: result.frames.map(
          (f) => incoming.find((i) => i.index === f.index) ?? { ...f, thumbnail: null },
        ),
        stats: { decodedSamples: result.decodedSamples, elapsedMs: result.elapsedMs },
        error: null,
      });
    } catch (e) {
      closeThumbnails(incoming);
      if (!isCurrent()) return;
      const error =
        e instanceof PipelineError
          ? { code: e.code, message: e.message }
          : { code: 'internal', message: String(e) };
      set((s) => ({
        status: s.info ? 'ready' : 'empty',
        pending: null,
        error: error.code === 'cancelled' ? null : error,
      }));
    } finally {
      if (isCurrent()) current = null;
    }
  },

  setFrameCount(n) {
    set({ frameCount: Math.max(1, Math.min(256, Math.round(n))) });
  },

  dismissError() {
    set({ error: null });
  },
}));

function closeThumbnails(frames: readonly FrameView[]) {
  for (const f of frames) f?.thumbnail?.close();
}
