// @vitest-environment happy-dom
// The video part of the page: the labelled file input and drop zone open a file through the
// store; the panel shows facts, one rising progress bar with its stage, frames and readable errors.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { App } from '../../src/ui/App.tsx';
import { setPipelineClient } from '../../src/store/pipeline.ts';
import { useVideoStore } from '../../src/store/video.ts';
import type { PipelineEvent } from '../../src/worker/protocol.ts';
import { fakePipeline, sampleInfo } from './fake-worker.ts';

const label = () => screen.getByTestId('video-progress').textContent!.replace(/\s+/g, ' ');

beforeEach(() => useVideoStore.setState(useVideoStore.getInitialState()));
afterEach(cleanup);

const file = new File([new Uint8Array(4)], 'holiday.mp4', { type: 'video/mp4' });

/** The open requests a fake worker got (the page also asks it other things, e.g. capabilities). */
const opens = (fake: ReturnType<typeof fakePipeline>) =>
  fake.requests.filter((r) => r.command === 'open');

function answerWith(frames: number) {
  return fakePipeline((req, send) => {
    if (req.command !== 'open') return;
    const info = { ...sampleInfo, name: (req.args as { name: string }).name };
    send({ type: 'event', id: req.id, event: { type: 'video', info } });
    send({
      type: 'result',
      id: req.id,
      result: {
        info,
        frames: Array.from({ length: frames }, (_, i) => ({ index: i, t: 1 + 2 * i })),
        elapsedMs: 1200,
        decodedSamples: 90,
      },
    });
  });
}

describe('App (video)', () => {
  it('has a file input labelled Video that opens the chosen file', async () => {
    const fake = answerWith(3);
    setPipelineClient(fake.client);
    render(<App />);
    const input = screen.getByLabelText('Video');
    await act(async () => {
      fireEvent.change(input, { target: { files: [file] } });
    });
    expect(opens(fake)).toHaveLength(1);
    expect(await screen.findByTestId('video-name')).toHaveProperty('textContent', 'holiday.mp4');
    expect(screen.getByTestId('video-resolution').textContent).toBe('320×240');
    expect(screen.getByTestId('video-codec').textContent).toBe('H.264 (avc1.64001e)');
    expect(screen.getByTestId('video-duration').textContent).toBe('0:10.00');
    const frames = screen.getAllByRole('button', { name: /^Frame at / });
    expect(frames.map((e) => e.getAttribute('aria-label'))).toEqual([
      'Frame at 0:01.00',
      'Frame at 0:03.00',
      'Frame at 0:05.00',
    ]);
  });

  it('opens a file dropped on the drop zone', async () => {
    const fake = answerWith(1);
    setPipelineClient(fake.client);
    render(<App />);
    await act(async () => {
      fireEvent.drop(screen.getByTestId('dropzone'), { dataTransfer: { files: [file] } });
    });
    expect(opens(fake)).toHaveLength(1);
    expect((opens(fake)[0]?.args as { file: File }).file).toBe(file);
  });

  it('shows one progress bar that rises through reading the index and decoding', async () => {
    let step: (event: PipelineEvent | 'done') => void = () => {};
    setPipelineClient(
      fakePipeline((req, send) => {
        if (req.command !== 'open') return;
        const info = { ...sampleInfo, name: 'holiday.mp4' };
        step = (event) =>
          send(
            event === 'done'
              ? {
                  type: 'result',
                  id: req.id,
                  result: { info, frames: [], elapsedMs: 1, decodedSamples: 1 },
                }
              : { type: 'event', id: req.id, event },
          );
      }).client,
    );
    render(<App />);
    await act(async () => {
      fireEvent.change(screen.getByLabelText('Video'), { target: { files: [file] } });
    });
    const bar = () =>
      screen.getByLabelText('Sampling frames from holiday.mp4') as HTMLProgressElement;
    const shown: [number, string][] = [[Number(bar().value), label()]];
    const steps: PipelineEvent[] = [
      { type: 'progress', stage: 'demux', done: 500, total: 1000 },
      { type: 'progress', stage: 'demux', done: 1000, total: 1000 },
      { type: 'progress', stage: 'decode', done: 1, total: 4 },
      { type: 'progress', stage: 'decode', done: 3, total: 4 },
    ];
    for (const event of steps) {
      await act(async () => step(event));
      shown.push([Number(bar().value), label()]);
    }
    expect(shown).toEqual([
      [0, 'Opening… 0%'],
      [expect.closeTo(0.05, 6), 'Reading the index… 5%'],
      [expect.closeTo(0.1, 6), 'Reading the index… 10%'],
      [expect.closeTo(0.325, 6), 'Decoding frames… 33%'],
      [expect.closeTo(0.775, 6), 'Decoding frames… 78%'],
    ]);
    await act(async () => step('done'));
    expect(screen.queryByLabelText('Sampling frames from holiday.mp4')).toBeNull();
  });

  it('shows a readable error and stays usable', async () => {
    setPipelineClient(
      fakePipeline((req, send) => {
        if (req.command !== 'open') return;
        send({
          type: 'error',
          id: req.id,
          error: { code: 'empty', message: 'The file is empty.' },
        });
      }).client,
    );
    render(<App />);
    await act(async () => {
      fireEvent.change(screen.getByLabelText('Video'), { target: { files: [file] } });
    });
    expect((await screen.findByRole('alert')).textContent).toContain('The file is empty.');
    expect(screen.getByLabelText('Video')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Dismiss' }));
    expect(screen.queryByRole('alert')).toBeNull();
  });
});
