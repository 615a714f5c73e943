// The video path: demux (mp4box, by byte ranges) → decode (WebCodecs) → L sampled frames.
// Runs in the pipeline worker. Never reads a file whole, never decodes more than the GOPs that
// hold the sampled frames.

import type { FrameStamp, VideoInfo, VideoProgress } from './types.ts';

export * from './types.ts';

/** A sampled frame, decoded, rotated upright and scaled so its longest edge ≤ `maxEdge`. */
export interface SampledFrame extends FrameStamp {
  readonly bitmap: ImageBitmap;
}

export interface SampleVideoOptions {
  /**
   * Number of frames to sample, 1 to 256: the frames nearest the centres of that many equal
   * segments of the video. A video with fewer frames gives all of them.
   */
  readonly frames: number;
  /** Longest edge of the kept frame bitmaps (default 512, never upscaled). */
  readonly maxEdge?: number;
  readonly signal?: AbortSignal;
  onInfo?(info: VideoInfo): void;
  onProgress?(progress: VideoProgress): void;
  /** Each sampled frame as soon as it is decoded (in time order). */
  onFrame?(frame: SampledFrame): void;
}

export interface SampledVideo {
  readonly info: VideoInfo;
  readonly frames: readonly SampledFrame[];
  /** Samples handed to the decoder in total. */
  readonly decodedSamples: number;
  /** Bytes read from the file in total (container boxes and the decoded samples' data). */
  readonly bytesRead: number;
}
export { sampleVideo } from './sample.ts';
