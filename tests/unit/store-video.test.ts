// The video store: opening a file, progress (one bar that never goes back), frames as they come,
// errors that keep the previous video, a new file cancelling the running open, and the page
// always showing the video the worker holds.
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { setPipelineClient } from '../../src/store/pipeline.ts';
import { DEMUX_SHARE, overallProgress, useVideoStore } from '../../src/store/video.ts';
import { PipelineClient, type WorkerLike } from '../../src/worker/client.ts';
import type { FromWorker, PipelineEvent } from '../../src/worker/protocol.ts';
import { fakePipeline, sampleInfo } from './fake-worker.ts';

const file = (name: string) => new File([new Uint8Array(8)], name, { type: 'video/mp4' });

function openScript(frames: number) {
  return fakePipeline((req, send) => {
    if (req.command !== 'open') return;
    const args = req.args as { name: string };
    const info = { ...sampleInfo, name: args.name };
    send({ type: 'event', id: req.id, event: { type: 'video', info } });
    for (let i = 0; i < frames; i++) {
      send({
        type: 'event',
        id: req.id,
        event: { type: 'progress', stage: 'decode', done: i + 1, total: frames },
      });
      send({
        type: 'event',
        id: req.id,
        event: { type: 'frame', index: i, t: i + 0.5, thumbnail: null },
      });
    }
    send({
      type: 'result',
      id: req.id,
      result: {
        info,
        frames: Array.from({ length: frames }, (_, i) => ({ index: i, t: i + 0.5 })),
        elapsedMs: 5,
        decodedSamples: 40,
      },
    });
  });
}

beforeEach(() => {
  useVideoStore.setState(useVideoStore.getInitialState());
});

describe('video store', () => {
  it('opens a file: sends the frame count, ends ready with frames and facts', async () => {
    const fake = openScript(4);
    setPipelineClient(fake.client);
    useVideoStore.getState().setFrameCount(4);
    const opening = useVideoStore.getState().open(file('a.mp4'));
    expect(useVideoStore.getState().status).toBe('sampling');
    expect(useVideoStore.getState().pending?.name).toBe('a.mp4');
    await opening;
    const s = useVideoStore.getState();
    expect(s.status).toBe('ready');
    expect(s.info?.name).toBe('a.mp4');
    expect(s.frames.map((f) => f.t)).toEqual([0.5, 1.5, 2.5, 3.5]);
    expect(s.stats).toEqual({ decodedSamples: 40, elapsedMs: 5 });
    expect(fake.requests[0]?.args).toMatchObject({ frames: 4, name: 'a.mp4' });
  });

  it('keeps the previous video and shows the error when a file cannot be read', async () => {
    setPipelineClient(openScript(2).client);
    await useVideoStore.getState().open(file('good.mp4'));
    setPipelineClient(
      fakePipeline((req, send) =>
        send({
          type: 'error',
          id: req.id,
          error: { code: 'unsupported-container', message: 'Not an MP4 or MOV file.' },
        }),
      ).client,
    );
    await useVideoStore.getState().open(file('notes.txt'));
    const s = useVideoStore.getState();
    expect(s.error).toEqual({ code: 'unsupported-container', message: 'Not an MP4 or MOV file.' });
    expect(s.status).toBe('ready');
    expect(s.info?.name).toBe('good.mp4');
    expect(s.frames).toHaveLength(2);
  });

  it('a new file cancels the running open; only the new one lands', async () => {
    let release: () => void = () => {};
    const fake = fakePipeline(async (req, send, cancelled) => {
      const args = req.args as { name: string };
      if (args.name === 'slow.mp4') await new Promise<void>((r) => (release = r));
      if (cancelled()) return;
      const info = { ...sampleInfo, name: args.name };
      send({
        type: 'result',
        id: req.id,
        result: { info, frames: [], elapsedMs: 1, decodedSamples: 0 },
      });
    });
    setPipelineClient(fake.client);
    const slow = useVideoStore.getState().open(file('slow.mp4'));
    const fast = useVideoStore.getState().open(file('fast.mp4'));
    await fast;
    release();
    await slow;
    expect(fake.cancelled.size).toBe(1);
    expect(useVideoStore.getState().info?.name).toBe('fast.mp4');
    expect(useVideoStore.getState().error).toBeNull();
  });

  it('clamps the frame count to 1…256', () => {
    useVideoStore.getState().setFrameCount(0);
    expect(useVideoStore.getState().frameCount).toBe(1);
    useVideoStore.getState().setFrameCount(1000);
    expect(useVideoStore.getState().frameCount).toBe(256);
  });
});

/** A worker that answers only when the test says, and (like the real one) may finish an open
 * whose cancel arrives too late: cancels are recorded, never answered by themselves. */
function scriptedWorker() {
  const listeners: ((e: MessageEvent<FromWorker>) => void)[] = [];
  const requests: { id: number; name: string }[] = [];
  const cancels: number[] = [];
  const worker: WorkerLike = {
    postMessage(msg) {
      if (msg.type === 'cancel') cancels.push(msg.id);
      else requests.push({ id: msg.id, name: (msg.args as { name: string }).name });
    },
    addEventListener(type: string, l: unknown) {
      if (type === 'message') listeners.push(l as (e: MessageEvent<FromWorker>) => void);
    },
  };
  const send = (m: FromWorker) =>
    listeners.forEach((l) => l({ data: m } as MessageEvent<FromWorker>));
  const idOf = (name: string) => requests.find((r) => r.name === name)!.id;
  return {
    client: new PipelineClient(worker),
    cancels,
    idOf,
    event: (name: string, event: PipelineEvent) => send({ type: 'event', id: idOf(name), event }),
    succeed(name: string, thumbnails: FakeBitmap[]) {
      const id = idOf(name);
      const info = { ...sampleInfo, name };
      thumbnails.forEach((thumbnail, index) =>
        send({
          type: 'event',
          id,
          event: { type: 'frame', index, t: index, thumbnail: thumbnail as unknown as ImageBitmap },
        }),
      );
      const frames = thumbnails.map((_, index) => ({ index, t: index }));
      send({ type: 'result', id, result: { info, frames, elapsedMs: 1, decodedSamples: 3 } });
    },
    fail: (name: string, code: string) =>
      send({ type: 'error', id: idOf(name), error: { code, message: `${name}: ${code}` } }),
  };
}

interface FakeBitmap {
  close: ReturnType<typeof vi.fn>;
}
const thumbs = (n: number): FakeBitmap[] => Array.from({ length: n }, () => ({ close: vi.fn() }));
const tick = () => new Promise((r) => setTimeout(r, 0));

describe('video store and the worker agree', () => {
  it('an open the worker finished after a newer drop lands under the pending one; if the newer one fails, it is the video shown', async () => {
    const w = scriptedWorker();
    setPipelineClient(w.client);
    const store = useVideoStore.getState();
    const openA = store.open(file('a.mp4'));
    await tick();
    const aThumbs = thumbs(2);
    w.succeed('a.mp4', aThumbs);
    await openA;
    const openB = store.open(file('b.mp4'));
    await tick();
    const openC = store.open(file('c.mp4')); // cancels B, but the worker is already done with it
    await tick();
    expect(w.cancels).toEqual([w.idOf('b.mp4')]);
    const bThumbs = thumbs(3);
    w.succeed('b.mp4', bThumbs);
    await openB;
    let s = useVideoStore.getState();
    expect(s.status).toBe('sampling');
    expect(s.pending?.name).toBe('c.mp4');
    expect(s.info?.name).toBe('b.mp4'); // what the worker holds now
    expect(aThumbs.every((t) => t.close.mock.calls.length === 1)).toBe(true);
    w.fail('c.mp4', 'unsupported-container');
    await openC;
    s = useVideoStore.getState();
    expect(s.status).toBe('ready');
    expect(s.info?.name).toBe('b.mp4');
    expect(s.frames).toHaveLength(3);
    expect(s.frames.map((f) => f.thumbnail)).toEqual(bThumbs);
    expect(bThumbs.every((t) => t.close.mock.calls.length === 0)).toBe(true);
    expect(s.error?.code).toBe('unsupported-container');
  });

  it('an open the worker cancelled leaves the video it had, and closes its thumbnails', async () => {
    const w = scriptedWorker();
    setPipelineClient(w.client);
    const store = useVideoStore.getState();
    const openA = store.open(file('a.mp4'));
    await tick();
    w.succeed('a.mp4', thumbs(1));
    await openA;
    const openB = store.open(file('b.mp4'));
    await tick();
    const late = thumbs(1)[0]!;
    w.event('b.mp4', { type: 'frame', index: 0, t: 0, thumbnail: late as unknown as ImageBitmap });
    const openC = store.open(file('c.mp4'));
    await tick();
    w.fail('b.mp4', 'cancelled');
    await openB;
    expect(late.close).toHaveBeenCalledTimes(1);
    w.fail('c.mp4', 'corrupt');
    await openC;
    expect(useVideoStore.getState().info?.name).toBe('a.mp4');
  });
});

describe('progress', () => {
  it('is one bar over both stages: demux fills the first tenth, decode the rest, never going back', async () => {
    const w = scriptedWorker();
    setPipelineClient(w.client);
    const seen: { progress: number; stage: string | null }[] = [];
    const stop = useVideoStore.subscribe((s) => {
      if (s.pending) seen.push({ progress: s.pending.progress, stage: s.pending.stage });
    });
    const opening = useVideoStore.getState().open(file('a.mp4'));
    await tick();
    const steps: [string, number, number][] = [
      ['demux', 100, 1000],
      ['demux', 1000, 1000],
      ['decode', 1, 40],
      ['decode', 20, 40],
      ['decode', 20, 40],
      ['decode', 40, 40],
    ];
    for (const [stage, done, total] of steps)
      w.event('a.mp4', { type: 'progress', stage, done, total });
    const atSteps = seen.slice(-steps.length);
    w.succeed('a.mp4', []);
    await opening;
    stop();
    expect(atSteps.map((p) => p.progress)).toEqual([
      expect.closeTo(0.01, 6),
      expect.closeTo(0.1, 6),
      expect.closeTo(0.1 + 0.9 / 40, 6),
      expect.closeTo(0.55, 6),
      expect.closeTo(0.55, 6),
      expect.closeTo(1, 6),
    ]);
    expect(atSteps.map((p) => p.stage)).toEqual([
      'demux',
      'demux',
      'decode',
      'decode',
      'decode',
      'decode',
    ]);
    seen.forEach(
      (p, i) => i > 0 && expect(p.progress).toBeGreaterThanOrEqual(seen[i - 1]!.progress),
    );
  });

  it('overallProgress maps each stage into its share', () => {
    expect(overallProgress('demux', 0, 0)).toBe(0);
    expect(overallProgress('demux', 5, 10)).toBeCloseTo(DEMUX_SHARE / 2);
    expect(overallProgress('decode', 0, 10)).toBeCloseTo(DEMUX_SHARE);
    expect(overallProgress('decode', 12, 10)).toBe(1);
  });
});
