// `open`: sample a video's frames, report them as they come (with thumbnails for the page), and
// keep them as the worker's open video. A new `open` cancels the running one; the old video stays
// open until the new one has been sampled, so a failed or cancelled open loses nothing.

import { sampleVideo } from '../video/index.ts';
import type { Handler } from './handlers.ts';
import { setCurrentVideo } from './state.ts';
import { countDecode } from './ask.ts';

export const openVideo: Handler<'open'> = async (args, { signal, emit }) => {
  const started = performance.now();
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
  await Promise.all(thumbnails); // every frame event goes out before the result
  setCurrentVideo(video);
  countDecode();
  return {
    info: video.info,
    frames: video.frames.map(({ index, t }) => ({ index, t })),
    elapsedMs: performance.now() - started,
    decodedSamples: video.decodedSamples,
    bytesRead: video.bytesRead,
  };
};

function thumbnail(bitmap: ImageBitmap, edge: number): Promise<ImageBitmap> {
  const scale = Math.min(1, edge / Math.max(bitmap.width, bitmap.height));
  return createImageBitmap(bitmap, {
    resizeWidth: Math.max(1, Math.round(bitmap.width * scale)),
    resizeHeight: Math.max(1, Math.round(bitmap.height * scale)),
    resizeQuality: 'medium',
  });
}
