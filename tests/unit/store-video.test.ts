// The video store: opening a file, progress, frames as they come, errors that keep the previous
// video, and a new file cancelling the running open.
import { beforeEach, describe, expect, it } from 'vitest';
import { setPipelineClient } from '../../src/store/pipeline.ts';
import { useVideoStore } from '../../src/store/video.ts';
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
