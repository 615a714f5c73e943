// The video path in headless Chromium, through the automation page and the pipeline worker (the
// same code `kvtp probe` runs): every supported case agrees with ffprobe, returns exactly the asked
// number of strictly increasing, well-spread frame times, decodes exactly the planned GOP spans
// and reports its progress in order, reads a small part of long files (a 2-hour, 2 GiB one
// included), and every bad input gets its error code. Cancellation: probe-cancel.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSession, type AutomationSession } from '../../cli/browser.ts';
import type { OpenResult, PipelineEvent } from '../../src/worker/protocol.ts';
import { expectedDecodes, gopSpan } from '../fixtures/expected-decodes.ts';
import { ffprobe } from '../fixtures/ffprobe.ts';
import { testVideo, type VideoName } from '../fixtures/videos.ts';

let session: AutomationSession;
beforeAll(async () => {
  session = await openSession();
});
afterAll(() => session?.close());

async function probe(name: VideoName, frames: number, onEvent?: (e: unknown) => void) {
  const file = await testVideo(name);
  return session.request<OpenResult>('open', { frames }, { file, onEvent });
}

const SUPPORTED: [VideoName, { container?: string; rotation?: number }][] = [
  ['h264-faststart', {}],
  ['h264-moov-end', {}],
  ['h264-fragmented', {}],
  ['h264-bframes', {}],
  ['h264-long-gop', {}],
  ['h264-vfr', {}],
  ['h264-odd-size', {}],
  ['h264-rotate-90', { rotation: 90 }],
  ['h264-rotate-180', { rotation: 180 }],
  ['h264-rotate-270', { rotation: 270 }],
  ['h264-mov', { container: 'mov' }],
  ['h264-mov-rotate-90', { container: 'mov', rotation: 90 }],
  ['h264-fragmented-rotate-270', { rotation: 270 }],
  ['h264-audio-first', {}],
  ['h264-audio-first-rotate-90', { rotation: 90 }],
  ['vp9-odd-size', {}],
  ['av1-odd-size', {}],
];

describe('kvtp probe agrees with ffprobe', () => {
  it.each(SUPPORTED)('%s', async (name, expected) => {
    const frames = 16;
    const progress: Progress[] = [];
    const outcome = await probe(name, frames, (e) => {
      if ((e as PipelineEvent).type === 'progress') progress.push(e as Progress);
    });
    expect(outcome.error).toBeUndefined();
    const { info, frames: stamps, decodedSamples } = outcome.result!;
    const path = await testVideo(name);
    const truth = await ffprobe(path);
    expect(info.container).toBe(expected.container ?? 'mp4');
    expect(info.codec.slice(0, 4)).toBe(
      { h264: 'avc1', vp9: 'vp09', av1: 'av01' }[truth.codecName],
    );
    expect([info.width, info.height, info.rotation]).toEqual([
      truth.width,
      truth.height,
      truth.rotation,
    ]);
    expect(info.rotation).toBe(expected.rotation ?? 0);
    const tolerance = Math.max(0.01 * truth.duration, 0.15);
    expect(Math.abs(info.duration - truth.duration)).toBeLessThanOrEqual(tolerance);
    expect(info.frameCount).toBe(truth.frameTimes.length);
    expectWellSampled(stamps, frames, info.duration, truth.frameTimes);
    // Never more than the picked frames' GOPs: exactly the plan, which ffprobe's keyframes confirm.
    const decodes = await expectedDecodes(path, frames);
    expect(decodes.planned, 'the plan is each pick’s span from its keyframe').toBe(
      gopSpan(
        truth,
        stamps.map((f) => f.t),
      ),
    );
    expect(decodedSamples).toBe(decodes.decoded);
    expect(decodedSamples).toBeGreaterThanOrEqual(frames);
    expectOrderlyProgress(progress, info.size, decodes.planned);
  });

  it('gives every frame of a video with fewer frames than asked', async () => {
    const outcome = await probe('h264-odd-size', 64); // 48 frames
    const truth = await ffprobe(await testVideo('h264-odd-size'));
    expect(outcome.result!.frames.map((f) => f.t)).toEqual(
      truth.frameTimes.map((t) => expect.closeTo(t, 5)),
    );
  });

  it.each([1, 256])('samples %i frames', async (frames) => {
    const outcome = await probe('h264-long', frames);
    const { info, frames: stamps } = outcome.result!;
    expectWellSampled(
      stamps,
      frames,
      info.duration,
      (await ffprobe(await testVideo('h264-long'))).frameTimes,
    );
  });
});

type Progress = Extract<PipelineEvent, { type: 'progress' }>;

/** Demux then decode, never back; `done` never decreasing in a stage; each stage ends full. */
function expectOrderlyProgress(events: readonly Progress[], size: number, decodes: number) {
  const stages = events.map((e) => e.stage);
  expect(stages[0]).toBe('demux');
  expect(stages.lastIndexOf('demux')).toBeLessThan(stages.indexOf('decode'));
  expect(new Set(stages)).toEqual(new Set(['demux', 'decode']));
  events.forEach((e, i) => {
    const prev = events[i - 1];
    if (prev?.stage === e.stage)
      expect(e.done, `${e.stage} event ${i}`).toBeGreaterThanOrEqual(prev.done);
    expect(e.done).toBeLessThanOrEqual(e.total);
  });
  const last = (stage: string) => events.filter((e) => e.stage === stage).at(-1)!;
  expect([last('demux').done, last('demux').total]).toEqual([size, size]);
  expect([last('decode').done, last('decode').total]).toEqual([decodes, decodes]);
}

/** Exactly `n` frames, strictly increasing, each a real frame time, spread to the end. */
function expectWellSampled(
  stamps: readonly { index: number; t: number }[],
  n: number,
  duration: number,
  frameTimes: readonly number[],
) {
  expect(stamps.length).toBe(n);
  stamps.forEach((f, i) => {
    expect(f.index).toBe(i);
    if (i > 0) expect(f.t, `frame ${i}`).toBeGreaterThan(stamps[i - 1]!.t);
    const nearestTrue = Math.min(...frameTimes.map((t) => Math.abs(t - f.t)));
    expect(nearestTrue, `frame ${i} at ${f.t} is a frame of the video`).toBeLessThan(2e-6);
  });
  expect(stamps[0]!.t).toBeLessThan(duration / n);
  expect(stamps.at(-1)!.t).toBeGreaterThanOrEqual(duration * (1 - 1 / n) - 0.05);
}

describe('long and huge files', () => {
  it('samples 16 frames of a 20-minute video reading a small part of it', async () => {
    const outcome = await probe('h264-long', 16);
    const { info, bytesRead, decodedSamples, frames } = outcome.result!;
    expect(frames.length).toBe(16);
    expect(bytesRead).toBeLessThan(info.size / 20);
    expect(decodedSamples).toBeLessThan(info.frameCount / 20);
  });

  it('samples 16 frames of a 2-hour, 2 GiB video (216 000 frames) reading a few MB', async () => {
    const path = await testVideo('h264-2h');
    const outcome = await probe('h264-2h', 16);
    expect(outcome.error).toBeUndefined();
    const { info, bytesRead, decodedSamples, frames } = outcome.result!;
    const truth = await ffprobe(path, { packets: false });
    expect(info.size).toBeGreaterThan(2 * 2 ** 30);
    expect(info.frameCount).toBe(216_000);
    expect(Math.abs(info.duration - truth.duration)).toBeLessThanOrEqual(0.15);
    expect(frames.length).toBe(16);
    frames.forEach((f, i) => i > 0 && expect(f.t).toBeGreaterThan(frames[i - 1]!.t));
    expect(frames.at(-1)!.t).toBeGreaterThan(info.duration * (1 - 1 / 16));
    // The moov (~8 MB: both tracks' tables) and 16 two-second GOPs of a tiny picture.
    expect(bytesRead).toBeLessThan(12 * 2 ** 20);
    const expected = await expectedDecodes(path, 16);
    expect(decodedSamples).toBe(expected.decoded);
    expect(expected.planned).toBeLessThanOrEqual(16 * 60); // at most one 60-frame GOP a frame
  });

  it('opens a 5 GiB file whose index lies beyond 4 GiB', async () => {
    const outcome = await probe('h264-huge', 8);
    expect(outcome.error).toBeUndefined();
    const { info, bytesRead, frames } = outcome.result!;
    expect(info.size).toBeGreaterThan(5 * 2 ** 30);
    expect(info.duration).toBe(4);
    expect(frames.length).toBe(8);
    expect(bytesRead).toBeLessThan(1 << 20);
  });
});

describe('bad inputs', () => {
  it.each([
    ['empty', 'empty'],
    ['text', 'unsupported-container'],
    ['random', 'unsupported-container'],
    ['truncated-moov-end', 'corrupt'],
    ['truncated-faststart', 'corrupt'],
    ['garbled-media', 'corrupt'], // the decoder's error
    ['audio-only', 'no-video-track'],
    ['hevc', 'unsupported-codec'],
  ] as const)('%s → %s', async (name, code) => {
    const outcome = await probe(name, 8);
    expect(outcome.result).toBeUndefined();
    expect(outcome.error!.code).toBe(code);
    expect(outcome.error!.message).toMatch(/^".+" .{20,}/); // names the file, then says why
  });
});
