// Opening a video: sample its frames and report them as they come (with thumbnails for the page).
// The engine keeps the result as its open video only once this has answered: the old video stays
// open until the new one has been sampled, so a failed or cancelled open loses nothing. An open
// cancelled at any point before it answers (even while its last thumbnails are made) never
// becomes the open video.

import { sampleVideo, type SampledVideo } from '../video/index.ts';
import { throwIfAborted } from '../core/errors.ts';
import type { OpenArgs, OpenResult, Work } from './types.ts';

/** The sampled video of `args.file`, its frames and thumbnails reported to `work` as they come. */
export async function sampleForOpen(args: OpenArgs, { signal, emit }: Work): Promise<SampledVideo> {
  const thumbnailEdge = args.thumbnailEdge ?? 0;
  const thumbnails: Promise<void>[] = [];
  const video = await sampleVideo(args.file, args.name, {
    frames: args.frames,
    signal,
    onInfo: (info) => emit({ type: 'video', info }),
    onProgress: (p) => emit({ type: 'progress', stage: p.stage, done: p.done, total: p.total }),
    onFrame: (frame) => {
      if (thumbnailEdge <= 0) {
        emit({ type: 'frame', index: frame.index, t: frame.t, thumbnail: null });
        return;
      }
      // Thumbnails are made off the critical path; the frame event follows when it is ready.
      thumbnails.push(
        thumbnail(frame.bitmap, thumbnailEdge).then(
          (bmp) => emit({ type: 'frame', index: frame.index, t: frame.t, thumbnail: bmp }, [bmp]),
          () => {}, // the frame was closed because the open failed or was cancelled
        ),
      );
    },
  });
  try {
    await Promise.all(thumbnails); // every frame event goes out before the result
    throwIfAborted(signal); // cancelled while the thumbnails were made: the old video stays
  } catch (e) {
    closeVideo(video);
    throw e;
  }
  return video;
}

/** A video's facts and frame times, as the open result reports them. */
export function videoSummary(video: SampledVideo): Omit<OpenResult, 'elapsedMs'> {
  return {
    info: video.info,
    frames: video.frames.map(({ index, t }) => ({ index, t })),
    decodedSamples: video.decodedSamples,
    bytesRead: video.bytesRead,
  };
}

function thumbnail(bitmap: ImageBitmap, edge: number): Promise<ImageBitmap> {
  const scale = Math.min(1, edge / Math.max(bitmap.width, bitmap.height));
  return createImageBitmap(bitmap, {
    resizeWidth: Math.max(1, Math.round(bitmap.width * scale)),
    resizeHeight: Math.max(1, Math.round(bitmap.height * scale)),
    resizeQuality: 'medium',
  });
}

/** Free the decoded frames a sampled video holds. */
export function closeVideo(video: SampledVideo): void {
  for (const f of video.frames) f.bitmap.close();
}
