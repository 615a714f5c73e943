// The engine's `open` (src/engine/video.ts) with the video path and the thumbnails under the
// test's control: an open cancelled while its last thumbnails are made never becomes the engine's
// video and closes its frames; an open that completes replaces the old video.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SampledVideo } from '../../src/video/index.ts';
import { Engine } from '../../src/engine/engine.ts';
import type { PipelineEvent, Work } from '../../src/engine/types.ts';
import { sampleInfo } from './fake-worker.ts';

const sampled = vi.hoisted(() => ({ next: null as SampledVideo | null }));
vi.mock('../../src/video/index.ts', () => ({
  // Plays the video path: announces every frame, then resolves with the video.
  sampleVideo: (_file: Blob, _name: string, options: { onFrame?(f: unknown): void }) => {
    const video = sampled.next!;
    for (const f of video.frames) options.onFrame?.(f);
    return Promise.resolve(video);
  },
}));

interface FakeBitmap {
  width: number;
  height: number;
  close: ReturnType<typeof vi.fn>;
}
const bitmap = (): FakeBitmap => ({ width: 64, height: 36, close: vi.fn() });

function fakeVideo(name: string, frames: number): SampledVideo {
  return {
    info: { ...sampleInfo, name },
    frames: Array.from({ length: frames }, (_, index) => ({
      index,
      t: index,
      bitmap: bitmap() as unknown as ImageBitmap,
    })),
    decodedSamples: frames,
    bytesRead: 1000,
  };
}

/** Thumbnails made by createImageBitmap, resolved when the test says so. */
let thumbnails: (() => void)[] = [];
let held = false;
beforeEach(() => {
  thumbnails = [];
  held = false;
  vi.stubGlobal('createImageBitmap', () => {
    const made = bitmap();
    if (!held) return Promise.resolve(made);
    return new Promise((resolve) => thumbnails.push(() => resolve(made)));
  });
  engine = new Engine({
    acquireGpu: () => Promise.reject(new Error('no GPU in this test')),
    origin: 'http://localhost/',
  });
});
let engine: Engine;
const currentVideo = () => engine.currentVideo;
const openedVideo = () => engine.openVideo();
afterEach(() => vi.unstubAllGlobals());

function open(video: SampledVideo, signal = new AbortController().signal) {
  sampled.next = video;
  const events: PipelineEvent[] = [];
  const ctx: Work = { signal, emit: (e) => events.push(e) };
  const file = new Blob([]);
  const done = engine.open({ file, name: video.info.name, frames: 4, thumbnailEdge: 32 }, ctx);
  return { done, events };
}

describe('open', () => {
  it('keeps the completed video as the open one, replacing (and closing) the old', async () => {
    const a = fakeVideo('a.mp4', 3);
    await open(a).done;
    const b = fakeVideo('b.mp4', 2);
    const { done, events } = open(b);
    expect((await done).info.name).toBe('b.mp4');
    expect(events.filter((e) => e.type === 'frame')).toHaveLength(2);
    expect(currentVideo()).toBe(b);
    expect(a.frames.every((f) => (f.bitmap as unknown as FakeBitmap).close.mock.calls.length)).toBe(
      true,
    );
    expect(openedVideo()?.info.name).toBe('b.mp4');
  });

  it('an open cancelled while its thumbnails are made never becomes the open video', async () => {
    const a = fakeVideo('a.mp4', 3);
    await open(a).done;
    held = true;
    const b = fakeVideo('b.mp4', 4);
    const controller = new AbortController();
    const { done, events } = open(b, controller.signal);
    expect(thumbnails).toHaveLength(4); // sampling is over; only the thumbnails are left
    thumbnails.slice(0, 3).forEach((resolve) => resolve());
    controller.abort(); // a new drop, right after (most of) the frame events
    thumbnails[3]!();
    await expect(done).rejects.toMatchObject({ name: 'AbortError' });
    expect(events.filter((e) => e.type === 'frame')).toHaveLength(4);
    expect(currentVideo()).toBe(a);
    expect(openedVideo()?.info.name).toBe('a.mp4');
    for (const f of b.frames) {
      expect((f.bitmap as unknown as FakeBitmap).close, `frame ${f.index}`).toHaveBeenCalled();
    }
    for (const f of a.frames) expect((f.bitmap as unknown as FakeBitmap).close).not.toBeCalled();
  });

  it('reports no open video before any open', async () => {
    expect(openedVideo()).toBeNull();
  });
});
