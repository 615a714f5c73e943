// The open video's features (vision tokens and relevance embeddings), computed once per (video,
// models, compute path) and shared by every question about it. GPU buffers are freed once the
// features are replaced and no question uses them any more; after a lost device they are dropped
// (their buffers died with it).

import type { SampledVideo } from '../video/index.ts';
import { releaseFeatures, type VideoFeatures } from '../vlm/pipeline.ts';

interface Entry {
  readonly video: SampledVideo;
  readonly key: string;
  readonly value: Promise<VideoFeatures>;
  users: number;
  stale: boolean;
}

/** Features a question holds; `done()` when it no longer uses them. */
export interface FeatureLease {
  readonly features: VideoFeatures;
  /** Whether they were computed for this lease (not reused). */
  readonly encoded: boolean;
  done(): void;
}

export class FeatureCache {
  private entry: Entry | null = null;

  /** The features of `video` made with `key`'s models and path, computed by `encode` if new. */
  async lease(
    video: SampledVideo,
    key: string,
    encode: () => Promise<VideoFeatures>,
    onEncoded: () => void,
  ): Promise<FeatureLease> {
    let encoded = false;
    if (!this.entry || this.entry.video !== video || this.entry.key !== key) {
      this.retire(this.entry);
      const value = encode();
      const entry: Entry = { video, key, value, users: 0, stale: false };
      this.entry = entry;
      encoded = true;
      value.then(onEncoded, () => {
        if (this.entry === entry) this.entry = null;
      });
    }
    const entry = this.entry;
    entry.users++;
    const done = () => {
      entry.users--;
      if (entry.stale && entry.users === 0) this.retire(entry);
    };
    try {
      return { features: await entry.value, encoded, done };
    } catch (e) {
      done();
      throw e;
    }
  }

  /** Drop every feature: the device they were made on is gone (nothing to free). */
  dropForLostDevice(): void {
    this.retire(this.entry, true);
    this.entry = null;
  }

  private retire(entry: Entry | null, deviceLost = false): void {
    if (!entry) return;
    entry.stale = true;
    if (entry.users === 0 && !deviceLost) void entry.value.then(releaseFeatures, () => {});
  }
}
