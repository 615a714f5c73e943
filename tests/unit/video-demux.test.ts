// Demux by byte ranges (src/video/demux.ts) on real ffmpeg-made files, against ffprobe: size,
// rotation, duration, every frame's time; bad inputs give their error codes; big files are opened
// with a few small reads and no media data.
import { describe, expect, it } from 'vitest';
import { ByteSource } from '../../src/video/byte-source.ts';
import { demux, type DemuxedVideo } from '../../src/video/demux.ts';
import {
  presentationDuration,
  presentationOrder,
  sampleTime,
} from '../../src/video/sample-table.ts';
import { ffprobe } from '../fixtures/ffprobe.ts';
import { fileBlob, testVideo, type VideoName } from '../fixtures/videos.ts';

async function open(name: VideoName) {
  const path = await testVideo(name);
  const source = new ByteSource(await fileBlob(path), name);
  const progress: number[] = [];
  const video = await demux(source, (done) => progress.push(done));
  return { path, source, video, progress };
}

/** Sum of the video track's sample sizes: the media data we must not read while demuxing. */
const mediaBytes = (v: DemuxedVideo) => v.table.size.reduce((a, b) => a + b, 0);

const SUPPORTED: [VideoName, Partial<DemuxedVideo>][] = [
  ['h264-faststart', { container: 'mp4', fragmented: false }],
  ['h264-moov-end', { container: 'mp4', fragmented: false }],
  ['h264-fragmented', { container: 'mp4', fragmented: true }],
  ['h264-bframes', {}],
  ['h264-long-gop', {}],
  ['h264-vfr', {}],
  ['h264-odd-size', {}],
  ['h264-rotate-90', { rotation: 90 }],
  ['h264-rotate-180', { rotation: 180 }],
  ['h264-rotate-270', { rotation: 270 }],
  ['h264-mov', { container: 'mov' }],
  ['vp9-odd-size', { description: null }],
  ['av1-odd-size', {}],
  ['hevc', {}], // demuxes fine; decoding is what the browser refuses (see the e2e tests)
];

describe('demux agrees with ffprobe', () => {
  it.each(SUPPORTED)('%s', async (name, expected) => {
    const { path, video, source } = await open(name);
    const truth = await ffprobe(path);
    expect(video).toMatchObject(expected);
    expect({ width: video.width, height: video.height, rotation: video.rotation }).toEqual({
      width: truth.width,
      height: truth.height,
      rotation: truth.rotation,
    });
    expect(video.codec.slice(0, 4)).toBe(
      { h264: 'avc1', vp9: 'vp09', av1: 'av01', hevc: 'hvc1' }[truth.codecName],
    );
    expect(presentationDuration(video.table)).toBeCloseTo(truth.duration, 3);
    // Every shown frame's time, in presentation order, is ffprobe's (it prints 6 decimals).
    const times = Array.from(presentationOrder(video.table), (s) => sampleTime(video.table, s));
    expect(times.length).toBe(truth.frameTimes.length);
    times.forEach((t, i) =>
      expect(Math.abs(t - truth.frameTimes[i]!), `frame ${i}`).toBeLessThan(2e-6),
    );
    // The demuxer read the index, not the media: fewer bytes than the samples hold (except in
    // fragmented files, whose small moofs come with a read-ahead into the media data).
    if (!video.fragmented) expect(source.bytesRead).toBeLessThan(mediaBytes(video));
  });

  it('gives H.264 and HEVC their configuration record and AV1 its av1C', async () => {
    expect((await open('h264-bframes')).video.description?.[0]).toBe(1); // avcC version 1
    expect((await open('hevc')).video.description?.[0]).toBe(1); // hvcC version 1
    expect((await open('av1-odd-size')).video.description?.[0]).toBe(0x81); // marker + version 1
  });

  it('keeps B-frame composition offsets and the edit list: first frame at 0, times in order', async () => {
    const { video } = await open('h264-bframes');
    const { table } = video;
    const reordered = Array.from(table.cts).some((c, i) => i > 0 && c < table.cts[i - 1]!);
    expect(reordered, 'B-frames make composition order differ from decode order').toBe(true);
    expect(sampleTime(table, presentationOrder(table)[0]!)).toBe(0);
  });
});

describe('big files', () => {
  it('opens a 5 GiB file whose moov is beyond 4 GiB with a few small reads', async () => {
    const { source, video, progress } = await open('h264-huge');
    expect(source.size).toBeGreaterThan(5 * 2 ** 30);
    expect(video.table.count).toBe(100);
    expect(source.reads).toBeLessThanOrEqual(6);
    expect(source.bytesRead).toBeLessThan(64 * 1024);
    expect(progress.at(-1)).toBe(source.size);
  });

  it('reads the index of a 20-minute video, not its media data', async () => {
    const { source, video } = await open('h264-long');
    expect(presentationDuration(video.table)).toBe(1200);
    expect(source.bytesRead).toBeLessThan(source.size / 500);
  });

  it('walks a fragmented file one fragment per read', async () => {
    const { source, video } = await open('h264-fragmented');
    const keyframes = video.table.sync.reduce((a, b) => a + b, 0);
    expect(source.reads).toBeLessThanOrEqual(keyframes + 2);
  });
});

describe('bad inputs', () => {
  it.each([
    ['empty', 'empty', /empty/],
    ['text', 'unsupported-container', /not an MP4 or MOV video \(it looks like a text file\)/],
    ['random', 'unsupported-container', /not an MP4 or MOV/],
    ['audio-only', 'no-video-track', /no video track \(only an audio track\)/],
    ['truncated-moov-end', 'corrupt', /incomplete or truncated/],
    ['truncated-faststart', 'corrupt', /ends early/],
  ] as const)('%s → %s', async (name, code, message) => {
    const error = await open(name).then(
      () => null,
      (e: unknown) => e as { code: string; message: string },
    );
    expect(error).toMatchObject({ code, message: expect.stringMatching(message) });
    expect(error!.message).toContain(name); // names the file
  });

  it('names what a non-MP4 file looks like', async () => {
    const webm = new Blob([new Uint8Array([0x1a, 0x45, 0xdf, 0xa3, 1, 2, 3, 4, 5, 6, 7, 8])]);
    await expect(demux(new ByteSource(webm, 'clip.webm'))).rejects.toMatchObject({
      code: 'unsupported-container',
      message: expect.stringContaining('WebM or Matroska'),
    });
  });

  it('calls a HEIF image an image, not a damaged video', async () => {
    const box = (type: string, body: number[]) => [
      0,
      0,
      0,
      8 + body.length,
      ...[...type].map((c) => c.charCodeAt(0)),
      ...body,
    ];
    const brand = [...'heic'].map((c) => c.charCodeAt(0));
    const heif = new Blob([
      new Uint8Array([
        ...box('ftyp', [...brand, 0, 0, 0, 0, ...brand]),
        ...box('meta', [0, 0, 0, 0]),
      ]),
    ]);
    await expect(demux(new ByteSource(heif, 'photo.heic'))).rejects.toMatchObject({
      code: 'unsupported-container',
      message: expect.stringContaining('HEIF or AVIF image'),
    });
  });

  it('stops at once when aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const blob = await fileBlob(await testVideo('h264-moov-end'));
    await expect(demux(new ByteSource(blob, 'x', controller.signal))).rejects.toMatchObject({
      name: 'AbortError',
    });
  });
});
