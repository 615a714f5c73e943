// Demux of WebM and Matroska (src/video/matroska.ts, through demux.ts) on ffmpeg-made files,
// against ffprobe: size, codec, every frame's time, keyframe flag, byte position and size, the
// measured duration, also for files without Cues or Duration (live-muxed, recorder-like with
// unknown cluster sizes) and with a Duration that lies; the block walk agrees with mediabunny's
// own walk, frame for frame and byte for byte; reads are byte ranges, a small part of a file of
// large frames, with progress to the end; bad inputs give their error codes.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ByteSource, type BlobLike } from '../../src/video/byte-source.ts';
import { demux, type DemuxedVideo } from '../../src/video/demux.ts';
import { demuxMatroska } from '../../src/video/matroska.ts';
import { sampleBytes } from '../../src/video/sample-bytes.ts';
import {
  presentationDuration,
  presentationOrder,
  sampleTime,
} from '../../src/video/sample-table.ts';
import { ffprobe } from '../fixtures/ffprobe.ts';
import { fileBlob, testVideo, type VideoName } from '../fixtures/videos.ts';

/** A Blob-like that remembers its largest single read. */
function recording(blob: BlobLike) {
  const seen = { largest: 0 };
  const wrapped: BlobLike = {
    size: blob.size,
    slice(start, end) {
      seen.largest = Math.max(seen.largest, end - start);
      return blob.slice(start, end);
    },
  };
  return { wrapped, seen };
}

async function open(name: VideoName) {
  const path = await testVideo(name);
  const { wrapped, seen } = recording(await fileBlob(path));
  const source = new ByteSource(wrapped, name);
  const progress: number[] = [];
  let video: DemuxedVideo | undefined;
  try {
    video = await demux(source, (done) => progress.push(done));
  } finally {
    video?.close?.();
  }
  return { path, source, video, progress, largestRead: seen.largest };
}

const CODECS: Record<string, string> = { h264: 'avc1', vp9: 'vp09', av1: 'av01', hevc: 'hev1' };

const SUPPORTED: [VideoName, Partial<DemuxedVideo>][] = [
  ['vp9-webm', { container: 'webm' }],
  ['vp8-webm', { container: 'webm', codec: 'vp8' }],
  ['av1-webm', { container: 'webm' }],
  ['h264-mkv', { container: 'mkv' }], // B-frames: presentation order is not decode order
  ['hevc-mkv', { container: 'mkv' }], // demuxes; decoding is the browser's to refuse
  ['vp9-webm-live', { container: 'webm' }], // no Cues, no Duration, unknown Segment size
  ['vp8-recording', { container: 'webm' }], // and unknown Cluster sizes, one keyframe
  ['vp9-webm-no-cues', { container: 'webm' }],
  ['vp9-webm-lying-duration', { container: 'webm' }], // says 1 s, is 4 s
  ['vp8-720p-recording', { container: 'webm', codec: 'vp8' }], // 8 Mbit/s, unknown sizes
];

/** ffprobe's packets of the video stream in file order: time in ticks, K flag, pos and size. */
async function ffprobePackets(path: string, timescale: number) {
  const { stdout } = await promisify(execFile)(
    'ffprobe',
    [
      ...['-v', 'error', '-select_streams', 'v:0', '-of', 'json'],
      ...['-show_entries', 'packet=pts_time,flags,pos,size', path],
    ],
    { maxBuffer: 1 << 26 },
  );
  const { packets } = JSON.parse(stdout) as {
    packets: { pts_time: string; flags: string; pos: string; size: string }[];
  };
  return packets.map((p) => ({
    cts: Math.round(Number(p.pts_time) * timescale),
    key: p.flags.startsWith('K'),
    pos: Number(p.pos),
    size: Number(p.size),
  }));
}

/** The same file demuxed with mediabunny's packets listing the frames (the former way). */
async function openWithMediabunny(name: VideoName) {
  const source = new ByteSource(await fileBlob(await testVideo(name)), name);
  const video = await demuxMatroska(source, undefined, { index: 'mediabunny' });
  return { video, source };
}

describe('Matroska demux agrees with ffprobe', () => {
  it.each(SUPPORTED)('%s', async (name, expected) => {
    const { path, video, source, progress, largestRead } = await open(name);
    const truth = await ffprobe(path);
    expect(video).toMatchObject({ rotation: 0, fragmented: false, ...expected });
    expect([video!.width, video!.height]).toEqual([truth.width, truth.height]);
    if (truth.codecName !== 'vp8') expect(video!.codec.slice(0, 4)).toBe(CODECS[truth.codecName]);
    const { table } = video!;
    // Every shown frame's time, in presentation order, is ffprobe's (in the file's 1 ms ticks).
    const times = Array.from(presentationOrder(table), (s) => sampleTime(table, s));
    expect(times.length).toBe(truth.frameTimes.length);
    times.forEach((t, i) =>
      expect(Math.abs(t - truth.frameTimes[i]!), `frame ${i}`).toBeLessThan(2e-6),
    );
    // Keyframes in decode order are ffprobe's packets' K flags.
    expect(Array.from(table.sync, (k) => k === 1)).toEqual(truth.packets.map((p) => p.key));
    // The duration is measured from the frames: the last frame's end (one frame past its time).
    const frame = times[times.length - 1]! - times[times.length - 2]!;
    expect(presentationDuration(table)).toBeCloseTo(times.at(-1)! + frame, 2);
    // Progress rises to the file's size (reads: see the long file below).
    expect(largestRead).toBeLessThanOrEqual(source.size);
    expect(progress.every((p, i) => i === 0 || p >= progress[i - 1]!)).toBe(true);
    expect(progress.at(-1)).toBe(source.size);
  });

  it.each(SUPPORTED)(
    '%s: every frame from its block header, as ffprobe and mediabunny list it',
    async (name) => {
      const { path, video } = await open(name);
      const { table } = video!;
      expect(video!.indexedBy).toEqual({ kind: 'block-headers' });
      expect(video!.samples).toBeUndefined(); // frames are read by offset, as for MP4
      const truth = await ffprobePackets(path, table.timescale);
      const mine = Array.from({ length: table.count }, (_, i) => ({
        cts: table.cts[i],
        key: table.sync[i] === 1,
        // ffprobe's pos is where the block starts: a 1-byte track number, a 2-byte time and the
        // flags byte come before the frame's data.
        pos: table.offset[i]! - 4,
        size: table.size[i],
      }));
      expect(mine).toEqual(truth);
      const former = await openWithMediabunny(name);
      try {
        expect(former.video.indexedBy).toEqual({
          kind: 'mediabunny',
          reason: 'asked for mediabunny',
        });
        const t = former.video.table;
        expect([t.cts, t.sync, t.duration, t.start, t.end]).toEqual([
          table.cts,
          table.sync,
          table.duration,
          table.start,
          table.end,
        ]);
      } finally {
        former.video.close?.();
      }
    },
  );

  it.each(['vp9-webm', 'h264-mkv', 'vp8-recording'] as const)(
    '%s: the frames read by offset are the bytes mediabunny gives for them',
    async (name) => {
      const { video, source } = await open(name);
      const former = await openWithMediabunny(name);
      try {
        const ranges = [{ first: 0, last: video!.table.count - 1 }];
        const theirs: Uint8Array[] = [];
        for await (const s of former.video.samples!(ranges)) theirs.push(s.data.slice());
        const mine: Uint8Array[] = [];
        for await (const s of sampleBytes(source, video!.table, ranges)) mine.push(s.data.slice());
        expect(mine.length).toBe(video!.table.count);
        expect(mine).toEqual(theirs);
      } finally {
        former.video.close?.();
      }
    },
  );

  it('indexes a high-bitrate recording without Cues from a small part of its bytes', async () => {
    const { video, source } = await open('vp8-720p-recording');
    expect(video!.indexedBy).toEqual({ kind: 'block-headers' });
    // Frames of ~30 KB, read-ahead of 4 KiB after each: the walk reads a header, jumps the data.
    expect(source.bytesRead).toBeLessThan(source.size * 0.25);
    // mediabunny's walk reads every cluster whole.
    const former = await openWithMediabunny('vp8-720p-recording');
    former.video.close?.();
    expect(former.source.bytesRead).toBeGreaterThanOrEqual(former.source.size);
  });

  it('gives the whole frames of a file cut inside its first cluster', async () => {
    const { video, path } = await open('vp9-webm-cut-early');
    const truth = await ffprobePackets(path, video!.table.timescale);
    expect(truth.length).toBeGreaterThan(0);
    expect(video!.table.count).toBe(truth.length);
    expect(Array.from(video!.table.cts)).toEqual(truth.map((p) => p.cts));
  });

  it("leaves a laced video block to mediabunny's listing, with the same frames", async () => {
    const { video, path } = await open('vp8-webm-laced');
    expect(video!.indexedBy).toEqual({ kind: 'mediabunny', reason: 'laced video blocks' });
    expect(video!.samples).toBeDefined(); // frames fetched through mediabunny
    const { table } = video!;
    const truth = await ffprobe(path);
    const times = Array.from(presentationOrder(table), (s) => sampleTime(table, s));
    expect(times.length).toBe(truth.frameTimes.length);
    times.forEach((t, i) => expect(Math.abs(t - truth.frameTimes[i]!)).toBeLessThan(2e-6));
    expect(Array.from(table.sync, (k) => k === 1)).toEqual(truth.packets.map((p) => p.key));
  });

  it('measures a Duration that lies and does without one', async () => {
    const lying = await open('vp9-webm-lying-duration');
    expect((await ffprobe(lying.path)).duration).toBe(1); // what the header says
    expect(presentationDuration(lying.video!.table)).toBeCloseTo(4, 1);
    const live = await open('vp9-webm-live');
    expect(Number.isNaN((await ffprobe(live.path)).duration)).toBe(true); // no Duration at all
    expect(presentationDuration(live.video!.table)).toBeCloseTo(4, 1);
  });

  it(
    'reads a 20-minute file by cluster-sized byte ranges, each once',
    { timeout: 120_000 },
    async () => {
      const { video, source, largestRead, path, progress } = await open('vp9-webm-long');
      // Progress follows the walk through the file (mediabunny reads the Cues at its end first).
      expect(progress[0]).toBeLessThan(source.size / 100);
      expect(progress.filter((p) => p < source.size / 2).length).toBeGreaterThan(50);
      expect(video!.table.count).toBe((await ffprobe(path)).frameTimes.length);
      expect(video!.table.count).toBe(3600);
      // mediabunny lists a cluster's blocks from the whole cluster: one pass over the file, in
      // reads no larger than a cluster (ffmpeg's: a keyframe's GOP, 2 s here).
      expect(largestRead).toBeLessThan(source.size / 100);
      expect(source.bytesRead).toBeLessThan(source.size * 1.01);
    },
  );

  it('keeps 37 bytes a frame in its table', async () => {
    const { video } = await open('vp9-webm');
    const t = video!.table;
    const bytes = [t.dts, t.cts, t.duration, t.offset, t.size, t.sync].reduce(
      (n, a) => n + a.byteLength,
      0,
    );
    expect(bytes).toBe(37 * t.count);
  });

  it('gives H.264 in Matroska its avcC from CodecPrivate', async () => {
    expect((await open('h264-mkv')).video!.description?.[0]).toBe(1);
  });

  it('keeps the frames before the cut of a truncated file', async () => {
    const { video, path } = await open('vp9-webm-truncated');
    const truth = await ffprobe(path);
    const times = Array.from(presentationOrder(video!.table), (s) => sampleTime(video!.table, s));
    expect(times.length).toBeGreaterThan(0);
    expect(times.length).toBeLessThanOrEqual(truth.frameTimes.length);
    times.forEach((t, i) => expect(Math.abs(t - truth.frameTimes[i]!)).toBeLessThan(2e-6));
    // Those of the cut-off last cluster too, up to the last whole one (ffprobe's last packet
    // is whole here), which mediabunny's walk loses with its cluster.
    expect(times.length).toBe(truth.frameTimes.length);
    const former = await openWithMediabunny('vp9-webm-truncated');
    former.video.close?.();
    expect(former.video.table.count).toBeLessThan(times.length);
  });
});

describe('never hangs', () => {
  it(
    'gives up resyncing at junk after the last cluster (in a child process, killed at 60 s)',
    {
      timeout: 90_000,
    },
    async () => {
      const path = await testVideo('vp9-webm-junk-tail');
      const child = new URL('../fixtures/demux-child.ts', import.meta.url).pathname;
      const { stdout } = await promisify(execFile)('node', ['--import', 'tsx', child, path], {
        timeout: 60_000,
      });
      expect(JSON.parse(stdout)).toEqual({ frames: (await ffprobe(path)).frameTimes.length });
    },
  );
});

describe('bad Matroska inputs', () => {
  it.each([
    ['webm-audio-only', 'no-video-track', /only an audio track/],
    ['webm-header-only', 'corrupt', /no frames after it/],
  ] as const)('%s → %s', async (name, code, message) => {
    const error = await open(name).then(
      () => null,
      (e: unknown) => e as { code: string; message: string },
    );
    expect(error?.code).toBe(code);
    expect(error?.message).toMatch(message);
  });
});
