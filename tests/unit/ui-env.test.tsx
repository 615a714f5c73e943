// @vitest-environment happy-dom
// What the page says about the browser before any video: nothing when WebGPU and WebCodecs are
// there; a notice (the models run on the CPU, and how to turn WebGPU on) without WebGPU; an alert
// without WebCodecs or when the worker cannot start. The page stays usable in every case.
import { afterEach, beforeEach, expect, it } from 'vitest';
import { cleanup, render, screen, waitFor } from '@testing-library/react';
import { App } from '../../src/ui/App.tsx';
import { envNotices, useEnvStore } from '../../src/store/env.ts';
import { setPipelineClient } from '../../src/store/pipeline.ts';
import type { Capabilities } from '../../src/worker/protocol.ts';
import { fakePipeline } from './fake-worker.ts';

const fine: Capabilities = {
  webgpu: true,
  adapter: 'google swiftshader',
  f16: false,
  webcodecs: true,
  gpuError: null,
};
const noGpu: Capabilities = {
  ...fine,
  webgpu: false,
  adapter: null,
  gpuError: { code: 'no-webgpu', message: 'This browser does not offer WebGPU.' },
};

function answering(caps: Capabilities) {
  return fakePipeline((req, send) => {
    if (req.command === 'capabilities') send({ type: 'result', id: req.id, result: caps });
  });
}

beforeEach(() => useEnvStore.setState(useEnvStore.getInitialState()));
afterEach(() => {
  cleanup();
  setPipelineClient(null);
});

it('says nothing when WebGPU and WebCodecs are there', async () => {
  setPipelineClient(answering(fine).client);
  render(<App />);
  await waitFor(() => expect(useEnvStore.getState().capabilities).toEqual(fine));
  expect(screen.queryByRole('status')).toBeNull();
  expect(screen.queryByRole('alert')).toBeNull();
  expect(screen.getByLabelText('Video')).toBeTruthy();
});

it('without WebGPU says the models run on the CPU, why, and how to use the GPU', async () => {
  setPipelineClient(answering(noGpu).client);
  render(<App />);
  const notice = await screen.findByRole('status');
  expect(notice.textContent).toMatch(/No WebGPU here: the models will run on the CPU/);
  expect(notice.textContent).toMatch(/does not offer WebGPU/);
  expect(notice.textContent).toMatch(/chrome:\/\/gpu/);
  expect(screen.getByLabelText('Video')).toBeTruthy(); // the page stays usable
});

it('without WebCodecs raises an alert naming the browsers that decode video', async () => {
  setPipelineClient(answering({ ...fine, webcodecs: false }).client);
  render(<App />);
  const alert = await screen.findByRole('alert');
  expect(alert.textContent).toMatch(/cannot decode video/);
  expect(alert.getAttribute('data-code')).toBe('no-webcodecs');
});

it('orders notices most serious first and reports a worker that did not start', () => {
  expect(envNotices({ capabilities: null, error: null })).toEqual([]);
  expect(
    envNotices({ capabilities: { ...noGpu, webcodecs: false }, error: null }).map((n) => n.kind),
  ).toEqual(['no-webcodecs', 'no-webgpu']);
  const error = { code: 'worker-crashed', message: 'The pipeline worker stopped.' };
  expect(envNotices({ capabilities: fine, error })).toEqual([{ kind: 'worker', reason: error }]);
});

it('keeps an error from a worker that cannot be asked', async () => {
  const { client } = fakePipeline((req, send) =>
    send({
      type: 'error',
      id: req.id,
      error: { code: 'worker-crashed', message: 'The pipeline worker stopped: boom' },
    }),
  );
  setPipelineClient(client);
  await useEnvStore.getState().check();
  expect(useEnvStore.getState().error).toEqual({
    code: 'worker-crashed',
    message: 'The pipeline worker stopped: boom',
  });
});
