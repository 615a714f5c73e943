// Demux by byte ranges (src/video/demux.ts) on real ffmpeg-made files, against ffprobe: size,
// rotation, duration, every frame's time; bad inputs give their error codes; big files are opened
// with a few small reads and no media data, a 2-hour file with bounded memory, and a damaged
// size field never makes the demuxer read hundreds of MB at once.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { ByteSource, type BlobLike } from '../../src/video/byte-source.ts';
import { demux, MAX_INDEX_BOX, type DemuxedVideo } from '../../src/video/demux.ts';
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
  ['h264-mov-rotate-90', { container: 'mov', rotation: 90 }],
  ['h264-fragmented-rotate-270', { fragmented: true, rotation: 270 }],
  ['h264-audio-first', { rotation: 0 }],
  ['h264-audio-first-rotate-90', { rotation: 90 }],
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

  it('reads a 2-hour, 2 GiB file (216 000 frames, an audio track) with 3 reads and bounded memory', async () => {
    const path = await testVideo('h264-2h');
    const truth = await ffprobe(path, { packets: false });
    const source = new ByteSource(await fileBlob(path), 'h264-2h');
    await collect();
    const before = memory();
    let peak = before;
    const video = await demux(source, () => (peak = Math.max(peak, memory())));
    await collect();
    const retained = memory() - before;
    expect(source.size).toBeGreaterThan(2 * 2 ** 30);
    expect(video.table.count).toBe(216_000);
    expect(Math.abs(presentationDuration(video.table) - truth.duration)).toBeLessThan(0.15);
    expect(source.reads).toBeLessThanOrEqual(4);
    expect(source.bytesRead).toBeLessThan(10 * MB); // the moov (both tracks' tables) and headers
    // While the moov is parsed, mp4box holds a few hundred bytes per video sample (70-100 MB
    // here; with the audio track not hidden from it, 180-220 MB). Afterwards only the typed
    // sample table stays (37 bytes a frame: 8 MB).
    expect(peak - before, 'peak growth while demuxing').toBeLessThan(144 * MB);
    expect(retained, 'memory kept with the demuxed video').toBeLessThan(16 * MB);
    expect(video.table.count).toBe(216_000); // keeps `video` alive until after the measure
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
    ['text', 'unsupported-container', /not a video kvtp-web reads \(it looks like a text file\)/],
    ['random', 'unsupported-container', /not a video kvtp-web reads.*WebM/],
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

  it('hands an EBML file to the Matroska demuxer, which calls a broken one damaged', async () => {
    const webm = new Blob([new Uint8Array([0x1a, 0x45, 0xdf, 0xa3, 1, 2, 3, 4, 5, 6, 7, 8])]);
    await expect(demux(new ByteSource(webm, 'clip.webm'))).rejects.toMatchObject({
      code: 'corrupt',
      message: expect.stringContaining('"clip.webm" looks damaged'),
    });
  });

  it('names what a file it does not read looks like', async () => {
    const avi = new Blob([new TextEncoder().encode('RIFF\0\0\0\0AVI LIST')]);
    await expect(demux(new ByteSource(avi, 'clip.avi'))).rejects.toMatchObject({
      code: 'unsupported-container',
      message: expect.stringContaining('it looks like an AVI video'),
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

  it.each([
    ['moov', MAX_INDEX_BOX + 1],
    ['moov', 900 * MB],
    ['moof', 300 * MB],
  ] as const)(
    'calls a %s box claiming %i bytes damaged without reading it',
    async (type, claim) => {
      const source = new ByteSource(forgedFile(type, claim, claim + 64 * MB), 'forged.mp4');
      await expect(demux(source)).rejects.toMatchObject({
        code: 'corrupt',
        message: expect.stringContaining(`its '${type}' box claims ${claim} bytes`),
      });
      expect(source.bytesRead).toBeLessThan(64 * 1024);
    },
  );

  it('stops at once when aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const blob = await fileBlob(await testVideo('h264-moov-end'));
    await expect(demux(new ByteSource(blob, 'x', controller.signal))).rejects.toMatchObject({
      name: 'AbortError',
    });
  });
});

const MB = 2 ** 20;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
/** Collect garbage until freed buffers are returned too (that takes a few turns of the loop). */
async function collect() {
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
}
/** Heap and buffer memory in use (typed arrays and read buffers live outside the JS heap). */
const memory = () => {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

/**
 * A file of `size` bytes that starts with an ftyp and then a `type` box whose size field claims
 * `claim` bytes (all zeros after the headers). Reads are made on demand, so it costs nothing.
 */
function forgedFile(type: 'moov' | 'moof', claim: number, size: number): BlobLike {
  const head = new Uint8Array(24 + 8);
  const view = new DataView(head.buffer);
  view.setUint32(0, 24);
  head.set(
    [...'ftypisom'].map((c) => c.charCodeAt(0)),
    4,
  );
  head.set(
    [...'isomiso2mp41'].map((c) => c.charCodeAt(0)),
    12,
  );
  view.setUint32(24, claim);
  head.set(
    [...type].map((c) => c.charCodeAt(0)),
    28,
  );
  return {
    size,
    slice: (start, end) => ({
      arrayBuffer: () => {
        const bytes = new Uint8Array(Math.max(0, Math.min(end, size) - start));
        bytes.set(head.subarray(Math.min(start, head.length), Math.min(end, head.length)));
        return Promise.resolve(bytes.buffer);
      },
    }),
  };
}
