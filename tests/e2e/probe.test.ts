// The video path in headless Chromium, through the automation page and the pipeline worker (the
// same code `kvtp probe` runs): every supported case agrees with ffprobe, returns exactly the asked
// number of strictly increasing, well-spread frame times, reads a small part of long files, and
// every bad input gets its error code. Cancellation is prompt and leaves the worker usable.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSession, type AutomationSession, type Outcome } from '../../cli/browser.ts';
import type { OpenResult } from '../../src/worker/protocol.ts';
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
  ['vp9-odd-size', {}],
  ['av1-odd-size', {}],
];

describe('kvtp probe agrees with ffprobe', () => {
  it.each(SUPPORTED)('%s', async (name, expected) => {
    const frames = 16;
    const outcome = await probe(name, frames);
    expect(outcome.error).toBeUndefined();
    const { info, frames: stamps, decodedSamples } = outcome.result!;
    const truth = await ffprobe(await testVideo(name));
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
    expect(decodedSamples).toBeLessThanOrEqual(info.frameCount);
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

describe('cancellation', () => {
  /** Start a long sampling and resolve once its decoding is under way. */
  function startLong(): { outcome: Promise<Outcome<OpenResult>>; decoding: Promise<void> } {
    let started!: () => void;
    const decoding = new Promise<void>((r) => (started = r));
    const outcome = probe('h264-long', 256, (e) => {
      if ((e as { type: string; stage?: string }).stage === 'decode') started();
    });
    return { outcome, decoding };
  }

  it('stops a running sampling when asked, and the worker stays usable', async () => {
    const long = startLong();
    await long.decoding;
    await session.page.evaluate(() => window.kvtp.cancelAll());
    expect((await long.outcome).error?.code).toBe('cancelled');
    const next = await probe('h264-bframes', 8);
    expect(next.result?.frames.length).toBe(8);
  });

  it('a new open cancels the running one', async () => {
    const long = startLong();
    await long.decoding;
    const next = probe('h264-faststart', 8);
    expect((await long.outcome).error?.code).toBe('cancelled');
    expect((await next).result?.frames.length).toBe(8);
  });
});
