// The open video's features (vision tokens and relevance embeddings), computed once per (video,
// models, compute path) and shared by every question about it. The encoding runs once whoever
// starts it (the background preparation after a video opens, or a question); whoever comes while
// it runs waits for it and hears its progress. It is cancelled when the last one waiting leaves
// before it is done, or when the video or the models change. GPU buffers are freed once the
// features are replaced and no question uses them any more; after a lost device they are dropped
// (their buffers died with it).

import type { SampledVideo } from '../video/index.ts';
import { releaseFeatures, type VideoFeatures } from '../vlm/pipeline.ts';
import type { PipelineEvent, Work } from './types.ts';

/** How an encoding is started: it reports through `emit` and stops when `signal` aborts. */
export type Encode = (
  signal: AbortSignal,
  emit: (event: PipelineEvent) => void,
) => Promise<VideoFeatures>;

interface Entry {
  readonly video: SampledVideo;
  readonly key: string;
  readonly value: Promise<VideoFeatures>;
  readonly controller: AbortController;
  /** Those waiting for the encoding: its progress goes to each. */
  readonly listeners: Set<(event: PipelineEvent) => void>;
  settled: boolean;
  users: number;
  stale: boolean;
}

/** Features a request holds; `done()` when it no longer uses them. */
export interface FeatureLease {
  readonly features: VideoFeatures;
  /** Whether they were computed while this request waited (not ready before it came). */
  readonly encoded: boolean;
  done(): void;
}

export class FeatureCache {
  private entry: Entry | null = null;

  /**
   * The features of `video` made with `key`'s models and path: ready ones, the running encoding,
   * or a new one started with `encode`. `work.signal` ends the wait (and the encoding, if no one
   * else waits for it).
   */
  async lease(
    video: SampledVideo,
    key: string,
    encode: Encode,
    work: Work,
    onEncoded: () => void,
  ): Promise<FeatureLease> {
    work.signal.throwIfAborted();
    if (!this.entry || this.entry.video !== video || this.entry.key !== key) {
      this.retire(this.entry);
      const controller = new AbortController();
      const listeners = new Set<(event: PipelineEvent) => void>();
      const value = encode(controller.signal, (e) => listeners.forEach((l) => l(e)));
      const entry: Entry = {
        video,
        key,
        value,
        controller,
        listeners,
        settled: false,
        users: 0,
        stale: false,
      };
      this.entry = entry;
      value.then(
        (features) => {
          entry.settled = true;
          // cancelled, yet finished: nobody will use these
          if (controller.signal.aborted) releaseFeatures(features);
          else onEncoded();
        },
        () => {
          entry.settled = true;
          if (this.entry === entry) this.entry = null;
        },
      );
    }
    const entry = this.entry;
    const encoded = !entry.settled;
    entry.users++;
    const listener = (e: PipelineEvent) => work.emit(e);
    entry.listeners.add(listener);
    const done = () => {
      entry.users--;
      if (entry.users === 0 && !entry.settled) {
        // nobody waits for this encoding any more: stop it
        entry.controller.abort();
        if (this.entry === entry) this.entry = null;
      }
      if (entry.stale && entry.users === 0) this.retire(entry);
    };
    try {
      const features = await untilAborted(entry.value, work.signal);
      return { features, encoded, done };
    } catch (e) {
      done();
      throw e;
    } finally {
      entry.listeners.delete(listener);
    }
  }

  /** The features are no longer wanted (another video is open): stop or free them. */
  clear(): void {
    this.retire(this.entry);
    this.entry = null;
  }

  /** Drop every feature: the device they were made on is gone (nothing to free). */
  dropForLostDevice(): void {
    this.retire(this.entry, true);
    this.entry = null;
  }

  private retire(entry: Entry | null, deviceLost = false): void {
    if (!entry) return;
    entry.stale = true;
    if (entry.users > 0) return;
    if (!entry.settled) entry.controller.abort();
    else if (!deviceLost) void entry.value.then(releaseFeatures, () => {});
  }
}

/** `p`, or an AbortError as soon as `signal` aborts. */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new DOMException('Cancelled', 'AbortError'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new DOMException('Cancelled', 'AbortError'));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
