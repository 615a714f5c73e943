// What the video path produces: facts about the file, and L sampled frames with exact times.

export type Rotation = 0 | 90 | 180 | 270;

/** Facts about a video file, read from its container (no decoding needed). */
export interface VideoInfo {
  /** File name as the user gave it. */
  readonly name: string;
  /** File size in bytes. */
  readonly size: number;
  /** `mp4` or `mov` (from the ftyp brand), `webm` or `mkv` (from the EBML DocType). */
  readonly container: 'mp4' | 'mov' | 'webm' | 'mkv';
  /** The WebCodecs codec string of the video track, e.g. `avc1.64001f`. */
  readonly codec: string;
  /** Stored picture size (before rotation). */
  readonly width: number;
  readonly height: number;
  /** Clockwise rotation from the track matrix, applied to the sampled frames. */
  readonly rotation: Rotation;
  /** Duration of the video track in seconds. */
  readonly duration: number;
  /** Number of video samples (frames) in the track. */
  readonly frameCount: number;
  /** Fragmented MP4 (moof/mdat) rather than one moov sample table (false for Matroska). */
  readonly fragmented: boolean;
}

/** One sampled frame: its position among the L and its exact presentation time. */
export interface FrameStamp {
  /** 0-based index among the sampled frames, in time order. */
  readonly index: number;
  /** Presentation timestamp in seconds, from the decoded frame. */
  readonly t: number;
}

/** Progress of long video work. `done` and `total` count `unit`s of `stage`. */
export interface VideoProgress {
  readonly stage: 'demux' | 'decode';
  readonly done: number;
  readonly total: number;
}

export const DEFAULT_FRAMES = 32;
export const MIN_FRAMES = 1;
export const MAX_FRAMES = 256;
