// sampleVideo: the video path end to end, in the pipeline worker. Demux by byte ranges (MP4/MOV
// with mp4box, WebM/MKV with mediabunny's header and matroska-index.ts's block walk) → plan which L
// frames to keep and which GOP ranges to decode → decode them with WebCodecs → keep the picked
// frames as upright, scaled ImageBitmaps. On failure or cancellation every frame and bitmap made so
// far is closed before the error propagates; nothing is left open.

import { throwIfAborted } from '../core/errors.ts';
import { ByteSource } from './byte-source.ts';
import { decoderConfig, ensureDecodable } from './codec.ts';
import { decodeRanges } from './decode.ts';
import { demux, type DemuxedVideo } from './demux.ts';
import { videoErrors } from './errors.ts';
import { disposableTest } from './h264.ts';
import { DEFAULT_MAX_EDGE, frameToBitmap } from './frames.ts';
import type { SampledFrame, SampledVideo, SampleVideoOptions } from './index.ts';
import { planSampling } from './plan.ts';
import { chunkTimestamp, presentationDuration } from './sample-table.ts';
import { MAX_FRAMES, MIN_FRAMES, type VideoInfo, type VideoProgress } from './types.ts';

export async function sampleVideo(
  file: Blob,
  name: string,
  options: SampleVideoOptions,
): Promise<SampledVideo> {
  const { frames: count, signal } = options;
  if (!Number.isInteger(count) || count < MIN_FRAMES || count > MAX_FRAMES) {
    throw videoErrors.badFrameCount(count, MIN_FRAMES, MAX_FRAMES);
  }
  throwIfAborted(signal);
  const source = new ByteSource(file, name, signal);
  const video = await demux(source, reporter('demux', options.onProgress));
  try {
    return await sampleDemuxed(video, source, file, name, options);
  } finally {
    video.close?.();
  }
}

async function sampleDemuxed(
  video: DemuxedVideo,
  source: ByteSource,
  file: Blob,
  name: string,
  options: SampleVideoOptions,
): Promise<SampledVideo> {
  const { frames: count, signal } = options;
  const maxEdge = options.maxEdge ?? DEFAULT_MAX_EDGE;
  const { table } = video;
  const plan = planSampling(table, count);
  const info: VideoInfo = {
    name,
    size: file.size,
    container: video.container,
    codec: video.codec,
    width: video.width,
    height: video.height,
    rotation: video.rotation,
    duration: presentationDuration(table),
    frameCount: plan.shownFrames,
    fragmented: video.fragmented,
  };
  options.onInfo?.(info);
  const config = decoderConfig(video);
  await ensureDecodable(config, name);

  const kept: (SampledFrame | undefined)[] = new Array<SampledFrame | undefined>(plan.picks.length);
  const conversions: Promise<void>[] = [];
  let emitted = 0;
  const emitReady = () => {
    while (emitted < kept.length && kept[emitted]) options.onFrame?.(kept[emitted++]!);
  };
  try {
    const decodedSamples = await decodeRanges({
      config,
      source,
      table,
      ranges: plan.ranges,
      ...(video.samples ? { samples: video.samples } : {}),
      wanted: new Map(plan.picks.map((p) => [chunkTimestamp(table, p.sample), p.index])),
      signal,
      skip: disposableTest(video.codec, video.description) ?? undefined,
      onProgress: reporter('decode', options.onProgress),
      onFrame: (index, frame) => {
        const { t } = plan.picks[index]!;
        const made = frameToBitmap(frame, video.rotation, maxEdge)
          .then((bitmap) => {
            kept[index] = { index, t, bitmap };
            if (!signal?.aborted) emitReady();
          })
          .finally(() => frame.close());
        made.catch(() => {}); // awaited below; not an unhandled rejection meanwhile
        conversions.push(made);
      },
    });
    await Promise.all(conversions);
    const missing = kept.findIndex((k) => !k);
    if (missing >= 0) {
      const t = plan.picks[missing]!.t.toFixed(3);
      throw videoErrors.corrupt(name, `the decoder gave no picture for the frame at ${t} s`);
    }
    throwIfAborted(signal);
    return {
      info,
      frames: kept as SampledFrame[],
      decodedSamples,
      bytesRead: source.bytesRead,
    };
  } catch (e) {
    await Promise.allSettled(conversions);
    for (const k of kept) k?.bitmap.close();
    throw e;
  }
}

/** Progress callbacks for one stage, thinned to whole-percent steps (and the last one). */
function reporter(
  stage: VideoProgress['stage'],
  onProgress: ((p: VideoProgress) => void) | undefined,
): (done: number, total: number) => void {
  let shown = -1;
  return (done, total) => {
    const percent = total > 0 ? Math.floor((100 * done) / total) : 100;
    if (!onProgress || percent === shown) return;
    shown = percent;
    onProgress({ stage, done, total });
  };
}
