// @vitest-environment happy-dom
// The frame count: remembered with the other controls and used for the first video; changed
// after a video is open, it offers "Sample N frames", which opens the same file again with N.
import { afterEach, beforeEach, expect, it } from 'vitest';
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { App } from '../../src/ui/App.tsx';
import { DEFAULT_CONTROLS, useConversationStore } from '../../src/store/conversation.ts';
import { setPipelineClient } from '../../src/store/pipeline.ts';
import { useVideoStore } from '../../src/store/video.ts';
import { fakePipeline, sampleInfo } from './fake-worker.ts';

const file = new File([new Uint8Array(4)], 'holiday.mp4', { type: 'video/mp4' });

function sampler() {
  return fakePipeline((req, send) => {
    if (req.command !== 'open') return;
    const { frames, name } = req.args as { frames: number; name: string };
    const info = { ...sampleInfo, name };
    send({
      type: 'result',
      id: req.id,
      result: {
        info,
        frames: Array.from({ length: frames }, (_, i) => ({ index: i, t: i })),
        elapsedMs: 5,
        decodedSamples: frames,
      },
    });
  });
}

beforeEach(() => {
  useVideoStore.setState(useVideoStore.getInitialState());
  useConversationStore.setState({ controls: { ...DEFAULT_CONTROLS, frames: 12 } });
});
afterEach(() => {
  cleanup();
  setPipelineClient(null);
});

it('samples the remembered frame count, and the open file again with a new one', async () => {
  const fake = sampler();
  setPipelineClient(fake.client);
  render(<App />);
  await act(async () => {
    fireEvent.change(screen.getByLabelText('Video'), { target: { files: [file] } });
  });
  const opens = () => fake.requests.filter((r) => r.command === 'open');
  expect((opens()[0]!.args as { frames: number }).frames).toBe(12);
  expect(screen.getAllByRole('listitem')).toHaveLength(12);
  expect(screen.queryByRole('button', { name: /^Sample \d+ frames$/ })).toBeNull();

  await act(async () => {
    fireEvent.change(screen.getByLabelText('Frames'), { target: { value: '20' } });
  });
  const again = screen.getByRole('button', { name: 'Sample 20 frames' });
  await act(async () => {
    fireEvent.click(again);
  });
  expect(opens()).toHaveLength(2);
  expect(opens()[1]!.args).toMatchObject({ file, frames: 20 });
  expect(screen.getAllByRole('listitem')).toHaveLength(20);
  expect(screen.queryByRole('button', { name: /^Sample \d+ frames$/ })).toBeNull();
});
