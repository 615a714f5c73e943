// @vitest-environment happy-dom
// A user's own video on the demo (issue 12, item 4): the page says plainly, before the first
// answer, that the demo model only knows its synthetic videos, and offers a one-click switch to
// SmolVLM2-256M with its download size; not for the demo's samples, not once the choice is made;
// the choice is remembered.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { isSampleVideo, needsDemoNotice } from '../../src/models/demo-notice.ts';
import { DEMO_VLM, SMOLVLM2_256M } from '../../src/models/registry.ts';
import { App } from '../../src/ui/App.tsx';
import { DEFAULT_CHOICE, showDemoNotice, useModelsStore } from '../../src/store/models.ts';
import { setPipelineClient } from '../../src/store/pipeline.ts';
import { useSamplesStore, type Sample } from '../../src/store/samples.ts';
import { useVideoStore } from '../../src/store/video.ts';
import { fakePipeline, sampleInfo } from './fake-worker.ts';

const SAMPLE: Sample = {
  file: 'sample-0-0.mp4',
  title: 'Sparse events, sample 1',
  duration: 24.125,
  question: 'What colour was the triangle?',
  answer: 'purple',
  questions: [{ question: 'What colour was the triangle?', answer: 'purple' }],
};

function opening(name: string, duration: number) {
  return fakePipeline((req, send) => {
    if (req.command !== 'open') return;
    const info = { ...sampleInfo, name, duration };
    send({ type: 'event', id: req.id, event: { type: 'video', info } });
    send({
      type: 'result',
      id: req.id,
      result: { info, frames: [{ index: 0, t: 1 }], elapsedMs: 10, decodedSamples: 3 },
    });
  });
}

async function openVideo(name: string, duration: number) {
  setPipelineClient(opening(name, duration).client);
  render(<App />);
  const file = new File([new Uint8Array(4)], name, { type: 'video/mp4' });
  await act(async () => {
    fireEvent.change(screen.getByLabelText('Video'), { target: { files: [file] } });
  });
  await screen.findByTestId('video-name');
}

const notice = () => document.querySelector('[data-code="demo-model"]');

beforeEach(() => {
  localStorage.clear();
  useVideoStore.setState(useVideoStore.getInitialState());
  useModelsStore.setState({ chosen: DEFAULT_CHOICE, demoKept: false });
  useSamplesStore.setState({ samples: [SAMPLE], load: async () => {} });
});
afterEach(cleanup);

describe('the demo notice (rule)', () => {
  it('applies to the demo model and a video that is not one of its samples', () => {
    const own = { name: 'holiday.mp4', duration: 10 };
    const sample = { name: SAMPLE.file, duration: SAMPLE.duration };
    expect(needsDemoNotice(DEMO_VLM.id, own, [SAMPLE])).toBe(true);
    expect(needsDemoNotice(DEMO_VLM.id, sample, [SAMPLE])).toBe(false);
    expect(needsDemoNotice(SMOLVLM2_256M.id, own, [SAMPLE])).toBe(false);
    expect(needsDemoNotice(DEMO_VLM.id, null, [SAMPLE])).toBe(false);
    // a file named like a sample but of another length is not that sample
    expect(isSampleVideo(SAMPLE.file, 61, [SAMPLE])).toBe(false);
    const state = { chosen: DEFAULT_CHOICE, demoKept: true };
    expect(showDemoNotice(state, own, [SAMPLE])).toBe(false);
  });
});

describe('the demo notice (page)', () => {
  it('says what the demo knows before any answer, and switches to SmolVLM2-256M in one click', async () => {
    await openVideo('holiday.mp4', 10);
    const n = notice();
    expect(n).not.toBeNull();
    expect(n!.textContent).toMatch(/only knows the synthetic videos it was trained on/);
    expect(n!.textContent).toMatch(/coloured\s+shapes/);
    expect(screen.queryByText(/Assistant|purple/)).toBeNull(); // nothing was asked yet
    const button = screen.getByRole('button', {
      name: /Use SmolVLM2 256M Video Instruct \(over 87 MB\)/,
    });
    await act(async () => fireEvent.click(button));
    expect(notice()).toBeNull();
    expect(useModelsStore.getState().chosen.vlm).toEqual({
      kind: 'registry',
      id: SMOLVLM2_256M.id,
    });
    // remembered: the saved choice is the real model
    expect(JSON.parse(localStorage.getItem('kvtp.models.v1')!)).toMatchObject({
      vlm: { kind: 'registry', id: SMOLVLM2_256M.id },
    });
  });

  it('is not shown for the demo’s own samples', async () => {
    await openVideo(SAMPLE.file, SAMPLE.duration);
    expect(notice()).toBeNull();
  });

  it('"Keep the demo" hides it, and the choice outlives the page', async () => {
    await openVideo('holiday.mp4', 10);
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Keep the demo' })));
    expect(notice()).toBeNull();
    expect(localStorage.getItem('kvtp.demo-notice.v1')).toBe('kept');
    expect(useModelsStore.getState().chosen.vlm).toEqual(DEFAULT_CHOICE.vlm);
  });
});
