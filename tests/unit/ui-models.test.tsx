// @vitest-environment happy-dom
// The model picker: the packages the worker lists (the built-in demo chosen by default, the Hub
// models offered with the variant this device loads, fixtures hidden), a choice remembered and
// used by the next question, a folder from disk used but not remembered, the download of the
// running question with bytes, percent and speed, notices, and the cache with its size and
// per-package and whole removal.
import { afterEach, beforeEach, expect, it } from 'vitest';
import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { ModelPanel, downloadText } from '../../src/ui/ModelPanel.tsx';
import { DEFAULT_CONTROLS, useConversationStore } from '../../src/store/conversation.ts';
import { DEFAULT_CHOICE, useModelsStore } from '../../src/store/models.ts';
import { setPipelineClient } from '../../src/store/pipeline.ts';
import type {
  DownloadStatus,
  ModelCacheListing,
  ModelInfo,
  PipelineEvent,
} from '../../src/worker/protocol.ts';
import { fakePipeline } from './fake-worker.ts';

const info = (id: string, kind: 'vlm' | 'relevance', purpose: ModelInfo['purpose']): ModelInfo => ({
  id,
  kind,
  title: `Title of ${id}`,
  purpose,
  source:
    purpose === 'hub' ? { kind: 'hub', repo: `owner/${id}`, revision: 'main' } : { kind: 'app' },
  ref: { kind: 'registry', id },
  variant: purpose === 'hub' ? 'q4' : 'fp32',
  variants: ['fp32', 'q4'],
  learnedHead: id === 'demo-relevance',
});
const MODELS = [
  info('demo-vlm', 'vlm', 'default'),
  info('smolvlm2-256m-video', 'vlm', 'hub'),
  info('fixture-vlm', 'vlm', 'test'),
  info('demo-relevance', 'relevance', 'default'),
  info('siglip-base', 'relevance', 'hub'),
];
const CACHE: ModelCacheListing = {
  persistent: true,
  packages: [
    {
      key: 'hub/owner/smolvlm2-256m-video@main',
      repo: 'owner/smolvlm2-256m-video',
      revision: 'main',
      modelId: 'smolvlm2-256m-video',
      files: [{ path: 'onnx/decoder_model_merged_q4.onnx', bytes: 3_000_000, complete: false }],
      bytes: 3_000_000,
      state: 'partial',
      missing: ['onnx/vision_encoder_q4.onnx'],
    },
  ],
  bytes: 3_000_000,
  usage: 4_000_000,
  quota: 1_000_000_000,
};
const EMPTY: ModelCacheListing = { ...CACHE, packages: [], bytes: 0 };

const download: DownloadStatus = {
  model: 'smolvlm2-256m-video',
  file: 'onnx/decoder_model_merged_q4.onnx',
  fileIndex: 2,
  files: 4,
  bytes: 12_000_000,
  totalBytes: 87_000_000,
  packageBytes: 20_000_000,
  packageTotalBytes: 100_000_000,
  percent: 20,
  bytesPerSecond: 3_100_000,
  fromCache: false,
};

function worker(askEvents: PipelineEvent[] = []) {
  return fakePipeline((req, send) => {
    const reply = (result: unknown) => send({ type: 'result', id: req.id, result });
    if (req.command === 'listModels') reply({ models: MODELS, provider: 'webgpu', f16: false });
    else if (req.command === 'modelCache') reply(CACHE);
    else if (req.command === 'clearModelCache') reply(EMPTY);
    else if (req.command === 'ask') {
      for (const event of askEvents) send({ type: 'event', id: req.id, event });
      send({ type: 'error', id: req.id, error: { code: 'no-video', message: 'Open a video.' } });
    }
  });
}

beforeEach(() => {
  localStorage.clear();
  useModelsStore.setState({ ...useModelsStore.getInitialState(), chosen: DEFAULT_CHOICE });
  useConversationStore.setState({
    controls: DEFAULT_CONTROLS,
    turns: [],
    busy: false,
    selection: null,
  });
});
afterEach(() => {
  cleanup();
  setPipelineClient(null);
});

async function renderPanel(fake: ReturnType<typeof worker>) {
  setPipelineClient(fake.client);
  render(<ModelPanel />);
  await screen.findByRole('option', { name: /Title of smolvlm2-256m-video/ });
}

it('offers the built-in and Hub models, chosen one remembered and used by the next question', async () => {
  const fake = worker();
  await renderPanel(fake);
  const vlm = screen.getByLabelText('Language model') as HTMLSelectElement;
  expect(vlm.value).toBe('demo-vlm');
  const names = within(vlm)
    .getAllByRole('option')
    .map((o) => o.textContent);
  expect(names).toEqual([
    'Title of demo-vlm — built in, offline',
    'Title of smolvlm2-256m-video — download (q4)',
    'A package folder from disk…',
  ]); // fixtures are not offered
  fireEvent.change(vlm, { target: { value: 'smolvlm2-256m-video' } });
  expect(screen.getByText(/From the Hugging Face Hub \(owner\/smolvlm2-256m-video\)/)).toBeTruthy();
  expect(JSON.parse(localStorage.getItem('kvtp.models.v1')!)).toEqual({
    vlm: { kind: 'registry', id: 'smolvlm2-256m-video' },
    relevance: { kind: 'registry', id: 'demo-relevance' },
  });
  await useConversationStore.getState().ask('What colour?');
  const ask = fake.requests.find((r) => r.command === 'ask')!;
  expect((ask.args as { models: unknown }).models).toEqual({
    vlm: { kind: 'registry', id: 'smolvlm2-256m-video' },
    relevance: { kind: 'registry', id: 'demo-relevance' },
  });
});

it('uses a package folder picked from disk for the page, without remembering its files', async () => {
  const fake = worker();
  await renderPanel(fake);
  const files = ['config.json', 'onnx/decoder_model_merged.onnx'].map((p) => {
    const f = new File(['{}'], p.split('/').pop()!);
    Object.defineProperty(f, 'webkitRelativePath', { value: `my-vlm/${p}` });
    return f;
  });
  await act(async () => {
    fireEvent.change(screen.getByLabelText('Language model folder'), { target: { files } });
  });
  expect((screen.getByLabelText('Language model') as HTMLSelectElement).value).toBe('folder');
  expect(screen.getByText(/2 files from “my-vlm”/)).toBeTruthy();
  expect(JSON.parse(localStorage.getItem('kvtp.models.v1')!).vlm).toEqual(DEFAULT_CHOICE.vlm);
  await useConversationStore.getState().ask('What colour?');
  const ask = fake.requests.find((r) => r.command === 'ask')!;
  const vlm = (ask.args as { models: { vlm: { kind: string; name: string; files: unknown[] } } })
    .models.vlm;
  expect(vlm).toMatchObject({ kind: 'folder', name: 'my-vlm' });
  expect(vlm.files.map((f) => (f as { path: string }).path)).toEqual([
    'config.json',
    'onnx/decoder_model_merged.onnx',
  ]);
  fireEvent.click(screen.getByRole('button', { name: 'Use the built-in model' }));
  expect((screen.getByLabelText('Language model') as HTMLSelectElement).value).toBe('demo-vlm');
});

it('shows the running download with bytes, percent and speed, and the wasm notice', async () => {
  const events: PipelineEvent[] = [
    { type: 'progress', stage: 'model 3/4', done: 12, total: 87, download },
    {
      type: 'notice',
      code: 'wasm-fallback',
      message: 'The models run on the CPU (WebAssembly).',
      reason: { code: 'no-adapter', message: 'No GPU adapter.' },
    },
  ];
  let release: () => void = () => {};
  const fake = fakePipeline((req, send) => {
    const reply = (result: unknown) => send({ type: 'result', id: req.id, result });
    if (req.command === 'listModels') reply({ models: MODELS, provider: 'webgpu', f16: false });
    else if (req.command === 'modelCache') reply(CACHE);
    else if (req.command === 'ask') {
      for (const event of events) send({ type: 'event', id: req.id, event });
      release = () =>
        send({ type: 'error', id: req.id, error: { code: 'network', message: 'Offline.' } });
    }
  });
  await renderPanel(fake);
  const asking = useConversationStore.getState().ask('What colour?');
  const bar = await screen.findByTestId('model-download');
  expect(bar.textContent).toBe(
    'smolvlm2-256m-video 3/4: onnx/decoder_model_merged_q4.onnx — 20 MB of 100 MB (20 %), 3.1 MB/s',
  );
  expect(screen.getByText(/downloading 20 %/)).toBeTruthy(); // on the collapsed line too
  expect(screen.getByRole('status').textContent).toBe(
    'The models run on the CPU (WebAssembly). (No GPU adapter.)',
  );
  await act(async () => {
    release();
    await asking;
  });
  expect(screen.queryByTestId('model-download')).toBeNull();
});

it('lists the cache and removes one package or all of it', async () => {
  const fake = worker();
  await renderPanel(fake);
  const cache = screen.getByTestId('model-cache');
  expect(cache.textContent).toMatch(/3\.0 MB in 1 package/);
  expect(cache.textContent).toMatch(/partly downloaded/);
  expect(cache.textContent).toMatch(/uses 4\.0 MB of 1\.0 GB/);
  await act(async () => {
    fireEvent.click(
      screen.getByRole('button', { name: 'Remove owner/smolvlm2-256m-video from the cache' }),
    );
  });
  const clear = fake.requests.filter((r) => r.command === 'clearModelCache');
  expect(clear.map((r) => r.args)).toEqual([{ package: 'hub/owner/smolvlm2-256m-video@main' }]);
  expect(screen.getByTestId('model-cache').textContent).toMatch(/none yet/);
});

it('words a download from the cache and one of unknown size', () => {
  expect(downloadText({ ...download, fromCache: true, bytesPerSecond: 0 })).toBe(
    'smolvlm2-256m-video 3/4: onnx/decoder_model_merged_q4.onnx (from the cache) — 20 MB of 100 MB (20 %)',
  );
  expect(downloadText({ ...download, packageTotalBytes: 0, totalBytes: 0, percent: 0 })).toBe(
    'smolvlm2-256m-video 3/4: onnx/decoder_model_merged_q4.onnx — 12 MB (0 %), 3.1 MB/s',
  );
});
