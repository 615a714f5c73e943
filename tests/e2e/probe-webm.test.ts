// WebM and Matroska through the video path in headless Chromium (the automation page and the
// pipeline worker: what `kvtp probe` runs), against ffprobe, as probe.test.ts does for MP4:
// duration, size, codec, 16 strictly increasing frame times that are real frame times spread over
// the whole video, exactly the planned GOP spans decoded, progress in order — also for live-muxed
// and recorder-like files without Cues or Duration (one of them at 8 Mbit/s), and a lying Duration;
// a 20-minute file is read at most once over; every bad input gets its error code and nothing
// hangs.
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

type Progress = Extract<PipelineEvent, { type: 'progress' }>;

async function probe(name: VideoName, frames: number, onEvent?: (e: unknown) => void) {
  const file = await testVideo(name);
  return session.request<OpenResult>('open', { frames }, { file, onEvent });
}

const CODECS: Record<string, string> = { h264: 'avc1', vp9: 'vp09', vp8: 'vp8', av1: 'av01' };

const PLAYABLE: [VideoName, 'webm' | 'mkv', number | null][] = [
  // name, container, the duration the reference gives (null: none in the file; measured below)
  ['vp9-webm', 'webm', 4],
  ['vp8-webm', 'webm', 3],
  ['av1-webm', 'webm', 2],
  ['h264-mkv', 'mkv', 4],
  ['vp9-webm-live', 'webm', null],
  ['vp8-recording', 'webm', null],
  ['vp9-webm-no-cues', 'webm', 4],
  ['vp9-webm-lying-duration', 'webm', 4], // the header says 1 s
  ['vp9-webm-junk-tail', 'webm', null], // junk after the last cluster: the resync gives up
  ['vp8-720p-recording', 'webm', null], // 8 Mbit/s: frames jumped over while indexing
  ['vp8-webm-laced', 'webm', 3], // a laced video block: indexed and read through mediabunny
];

describe('WebM and Matroska: kvtp probe agrees with ffprobe', () => {
  it.each(PLAYABLE)('%s', async (name, container, seconds) => {
    const frames = 16;
    const progress: Progress[] = [];
    const outcome = await probe(name, frames, (e) => {
      if ((e as PipelineEvent).type === 'progress') progress.push(e as Progress);
    });
    expect(outcome.error).toBeUndefined();
    const { info, frames: stamps, decodedSamples } = outcome.result!;
    const path = await testVideo(name);
    const truth = await ffprobe(path);
    expect(info.container).toBe(container);
    expect(info.codec.startsWith(CODECS[truth.codecName]!)).toBe(true);
    expect([info.width, info.height, info.rotation]).toEqual([truth.width, truth.height, 0]);
    expect(info.frameCount).toBe(truth.frameTimes.length);
    // The duration is the frames': the last frame's time plus one frame, whatever the header says.
    const last = truth.frameTimes.at(-1)!;
    const step = last - truth.frameTimes.at(-2)!;
    expect(info.duration).toBeCloseTo(last + step, 2);
    if (seconds !== null) expect(Math.abs(info.duration - seconds)).toBeLessThan(0.05);
    expect(stamps.length).toBe(frames);
    stamps.forEach((f, i) => {
      expect(f.index).toBe(i);
      if (i > 0) expect(f.t, `frame ${i}`).toBeGreaterThan(stamps[i - 1]!.t);
      const nearest = Math.min(...truth.frameTimes.map((t) => Math.abs(t - f.t)));
      expect(nearest, `frame ${i} at ${f.t} is a frame of the video`).toBeLessThan(2e-6);
    });
    expect(stamps[0]!.t).toBeLessThan(info.duration / frames);
    expect(stamps.at(-1)!.t).toBeGreaterThanOrEqual(info.duration * (1 - 1 / frames) - 0.05);
    const decodes = await expectedDecodes(path, frames);
    expect(decodes.planned).toBe(
      gopSpan(
        truth,
        stamps.map((f) => f.t),
      ),
    );
    expect(decodedSamples).toBe(decodes.decoded);
    // Demux (reading clusters) then decode, each rising to its end.
    const stages = progress.map((e) => e.stage);
    expect(stages.lastIndexOf('demux')).toBeLessThan(stages.indexOf('decode'));
    for (const stage of ['demux', 'decode'] as const) {
      const mine = progress.filter((e) => e.stage === stage);
      mine.forEach((e, i) => i > 0 && expect(e.done).toBeGreaterThanOrEqual(mine[i - 1]!.done));
      expect(mine.at(-1)!.done).toBe(mine.at(-1)!.total);
    }
    expect(progress.filter((e) => e.stage === 'demux').at(-1)!.total).toBe(info.size);
  });

  it('samples 16 frames of a 20-minute VP9 WebM, decoding a small part of it', async () => {
    const outcome = await probe('vp9-webm-long', 16);
    expect(outcome.error).toBeUndefined();
    const { info, bytesRead, decodedSamples, frames } = outcome.result!;
    expect(info.frameCount).toBe(3600);
    expect(info.duration).toBeCloseTo(1200, 1);
    expect(frames.length).toBe(16);
    expect(frames.at(-1)!.t).toBeGreaterThan(1200 * (1 - 1 / 16));
    expect(decodedSamples).toBeLessThan(info.frameCount / 20);
    // The index walk reads the headers (nearly every byte here: its frames are smaller than the
    // walk's read-ahead); decoding then reads only the planned frames, by their byte ranges.
    expect(bytesRead).toBeLessThan(info.size * 1.1);
  });

  it('gives the frames before the cut of a truncated WebM', async () => {
    const outcome = await probe('vp9-webm-truncated', 8);
    expect(outcome.error).toBeUndefined();
    const truth = await ffprobe(await testVideo('vp9-webm-truncated'));
    const { frames } = outcome.result!;
    expect(frames.length).toBe(8);
    frames.forEach((f) =>
      expect(Math.min(...truth.frameTimes.map((t) => Math.abs(t - f.t)))).toBeLessThan(2e-6),
    );
  });
});

describe('bad WebM and Matroska inputs', () => {
  it.each([
    ['webm-audio-only', 'no-video-track', /no video track \(only an audio track\)/],
    ['webm-header-only', 'corrupt', /no frames after it/],
    ['hevc-mkv', 'unsupported-codec', /HEVC \(H\.265\)/],
    ['garbled-webm', 'corrupt', /looks damaged/],
  ] as const)('%s → %s', async (name, code, message) => {
    const outcome = await probe(name, 8);
    expect(outcome.result).toBeUndefined();
    expect(outcome.error!.code).toBe(code);
    expect(outcome.error!.message).toMatch(/^".+" .{20,}/);
    expect(outcome.error!.message).toMatch(message);
  });
});
