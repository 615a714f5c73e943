// The open video as the page shows it: its facts, sampling progress, the sampled frames'
// thumbnails and times, or a readable error. Frames themselves stay in the worker. Opening a new
// file cancels the running open; a failed open keeps the previous video on screen. The video on
// screen is always the one the worker holds: the last open that answered a result, even when a
// newer file had already been dropped by then (that open then lands under the pending one).

import { create } from 'zustand';
import type { ErrorInfo } from '../core/errors.ts';
import { PipelineError } from '../worker/client.ts';
import type { VideoInfo, VideoProgress } from '../video/types.ts';
import { pipeline } from './pipeline.ts';

export interface FrameView {
  readonly index: number;
  readonly t: number;
  readonly thumbnail: ImageBitmap | null;
}

export interface PendingVideo {
  readonly name: string;
  readonly info: VideoInfo | null;
  /** Share of the whole open done, 0 to 1, never decreasing (see `overallProgress`). */
  readonly progress: number;
  /** What the worker is doing: reading the file's index, or decoding frames. */
  readonly stage: VideoProgress['stage'] | null;
  /** Frames sampled so far, in time order (they appear as they are decoded). */
  readonly frames: readonly FrameView[];
}

export interface VideoState {
  /** `sampling` while a file is being opened; the previous video stays visible meanwhile. */
  readonly status: 'empty' | 'sampling' | 'ready';
  /** The video being opened (its name, then its facts once demuxed). */
  readonly pending: PendingVideo | null;
  /** The open video. */
  readonly info: VideoInfo | null;
  readonly frames: readonly FrameView[];
  /** How many samples the last open decoded and how long it took (for the curious). */
  readonly stats: { decodedSamples: number; elapsedMs: number } | null;
  /** The last open's error, shown until the next file. */
  readonly error: ErrorInfo | null;
  /** Number of frames to sample from the next file (or, with `resample`, the open one). */
  readonly frameCount: number;
  /** The open video's file (kept so it can be sampled again with another frame count). */
  readonly file: File | null;
  /**
   * An object URL of `file` for the page's player (nothing leaves the machine); revoked when
   * another video takes its place.
   */
  readonly url: string | null;
  /** Where the player is (seconds), as it last said; null before it has said anything. */
  readonly playhead: number | null;
  /** The last seek asked of the player (a frame, a point of the curve, a time in an answer). */
  readonly seekTo: { readonly t: number; readonly n: number } | null;
  open(file: File): Promise<void>;
  /** Ask the player to go to `t` seconds. */
  seek(t: number): void;
  /** The player's own report of its time. */
  setPlayhead(t: number): void;
  /** Sample the open video again with `frameCount` frames. */
  resample(): Promise<void>;
  setFrameCount(n: number): void;
  dismissError(): void;
}

/** Share of the bar for reading the index (demux); decoding fills the rest. */
export const DEMUX_SHARE = 0.1;

/** One bar over both stages: demux fills [0, 0.1], decode (0.1, 1]. */
export function overallProgress(stage: string, done: number, total: number): number {
  const part = total > 0 ? Math.min(1, Math.max(0, done / total)) : 0;
  return stage === 'demux' ? DEMUX_SHARE * part : DEMUX_SHARE + (1 - DEMUX_SHARE) * part;
}

let current: AbortController | null = null;
let opened = 0; // opens started
let landed = 0; // the latest open (by start order) whose result the page took

export const useVideoStore = create<VideoState>()((set, get) => ({
  status: 'empty',
  pending: null,
  info: null,
  frames: [],
  stats: null,
  error: null,
  frameCount: 32,
  file: null,
  url: null,
  playhead: null,
  seekTo: null,

  async open(file) {
    current?.abort();
    const controller = new AbortController();
    current = controller;
    const seq = ++opened;
    const incoming: FrameView[] = [];
    // The superseded open's thumbnails are its own to close (or to keep, should it still land).
    set({
      status: 'sampling',
      pending: { name: file.name, info: null, progress: 0, stage: null, frames: [] },
      error: null,
    });
    const isCurrent = () => current === controller;
    const update = (change: (p: PendingVideo) => Partial<PendingVideo>) =>
      set((s) => ({ pending: s.pending && { ...s.pending, ...change(s.pending) } }));
    try {
      const result = await pipeline().request(
        'open',
        { file, name: file.name, frames: get().frameCount, thumbnailEdge: 192 },
        {
          signal: controller.signal,
          onEvent: (event) => {
            // Frames are kept even once superseded: the worker may still answer with this video.
            if (event.type === 'frame') incoming.push(event);
            if (!isCurrent()) return;
            if (event.type === 'video') {
              update(() => ({ info: event.info }));
            } else if (event.type === 'progress') {
              const next = overallProgress(event.stage, event.done, event.total);
              update((p) => ({
                progress: Math.max(p.progress, next),
                stage: event.stage === 'demux' ? 'demux' : 'decode',
              }));
            } else if (event.type === 'frame') {
              const frames = [...incoming].sort((a, b) => a.index - b.index);
              update(() => ({ frames }));
            }
          },
        },
      );
      if (seq < landed) {
        closeThumbnails(incoming);
        return;
      }
      landed = seq;
      closeThumbnails(get().frames);
      const video = {
        ...playerFor(file, get()),
        info: result.info,
        frames: result.frames.map(
          (f) => incoming.find((i) => i.index === f.index) ?? { ...f, thumbnail: null },
        ),
        stats: { decodedSamples: result.decodedSamples, elapsedMs: result.elapsedMs },
        file,
      };
      // Superseded but answered: the worker holds this video now, under the pending one.
      if (!isCurrent()) set(video);
      else set({ ...video, status: 'ready', pending: null, error: null });
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

  async resample() {
    const { file, pending } = get();
    if (file && !pending) await get().open(file);
  },

  setFrameCount(n) {
    set({ frameCount: Math.max(1, Math.min(256, Math.round(n))) });
  },

  dismissError() {
    set({ error: null });
  },

  seek(t) {
    if (!Number.isFinite(t) || t < 0) return;
    set((s) => ({ seekTo: { t, n: (s.seekTo?.n ?? 0) + 1 } }));
  },

  setPlayhead(t) {
    set({ playhead: t });
  },
}));

/**
 * The player's source for a video that lands: the same URL when it is the open file again (a
 * resample), else a new object URL, the previous one revoked (the player lets go of it).
 */
function playerFor(
  file: File,
  s: VideoState,
): Pick<VideoState, 'url' | 'playhead' | 'seekTo'> | Record<string, never> {
  if (s.file === file && s.url) return {};
  if (s.url) URL.revokeObjectURL(s.url);
  return { url: URL.createObjectURL(file), playhead: null, seekTo: null };
}

function closeThumbnails(frames: readonly FrameView[]) {
  for (const f of frames) f?.thumbnail?.close();
}
