// The engine's model commands and events, run in Node (no WebGPU here, no OPFS: the memory store):
// listModels with the variants this device loads, modelCache / clearModelCache per package, the
// download progress event with bytes, percent and speed, and the notice that models fall back to
// the CPU backend when WebGPU fails.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { PackageProgress } from '../../src/models/loader.ts';
import { Engine } from '../../src/engine/engine.ts';
import { downloadEvent } from '../../src/engine/notices.ts';
import type { PipelineEvent, Work } from '../../src/engine/types.ts';
import { acquireGpu } from '../../src/gpu/device.ts';
import type { SampledVideo } from '../../src/video/index.ts';

beforeAll(() => vi.stubGlobal('navigator', {})); // a browser without WebGPU
afterAll(() => vi.unstubAllGlobals());

function context(events: PipelineEvent[] = []): Work {
  return { signal: new AbortController().signal, emit: (e) => void events.push(e) };
}

// the engine of a browser without WebGPU (navigator.gpu is missing), as the worker makes it
const engine = new Engine({
  acquireGpu: () => acquireGpu((navigator as { gpu?: GPU }).gpu),
  origin: 'http://localhost/',
});
const listModels = (args: { provider?: 'auto' | 'wasm' }, _: Work) =>
  engine.listModels(args.provider);
const modelCache = (args: { provider?: 'auto' | 'wasm' }, _: Work) =>
  engine.modelCache(args.provider);
const clearModelCache = (args: { package?: string }, _: Work) =>
  engine.clearModelCache(args.package);
const ask = (args: Parameters<Engine['ask']>[0], work: Work) => engine.ask(args, work);
const modelStore = () => engine.models.store;
const setCurrentVideo = (v: SampledVideo | null) => engine.setVideo(v);

async function put(key: string, bytes: number, complete: boolean) {
  const store = modelStore();
  const w = await store.writer(key, 0);
  await w.write(new Uint8Array(bytes));
  await w.close();
  await store.setMeta(key, { size: complete ? bytes : bytes * 2, etag: '"e"' });
  if (complete) await store.complete(key);
}

describe('model commands', () => {
  it('lists the packages with the variant this device would load', async () => {
    const list = await listModels({}, context());
    expect(list.provider).toBe('wasm');
    const siglip = list.models.find((m) => m.id === 'siglip-base-224')!;
    expect(siglip).toMatchObject({
      kind: 'relevance',
      purpose: 'hub',
      source: { kind: 'hub', repo: 'Xenova/siglip-base-patch16-224', revision: 'main' },
      ref: { kind: 'registry', id: 'siglip-base-224' },
      variant: 'quantized',
    });
    expect(list.models.find((m) => m.id === 'demo-vlm')).toMatchObject({ purpose: 'default' });
    expect(list.models.find((m) => m.id === 'fixture-vlm')).toMatchObject({ purpose: 'test' });
  });

  it('lists the cache per package and clears one package or all', async () => {
    const a = 'hub/HuggingFaceTB/SmolVLM2-256M-Video-Instruct@main';
    const b = 'hub/Xenova/siglip-base-patch16-224@main';
    await put(`${a}/tokenizer.json`, 10, true);
    await put(`${a}/onnx/decoder_model_merged_q4.onnx`, 40, false);
    await put(`${b}/tokenizer.json`, 5, true);
    const listing = await modelCache({}, context());
    expect(listing.persistent).toBe(false);
    expect(listing.bytes).toBe(55);
    expect(listing.packages.map((p) => [p.key, p.state, p.bytes])).toEqual([
      [a, 'partial', 50],
      [b, 'partial', 5],
    ]);
    const left = await clearModelCache({ package: a }, context());
    expect(left.packages.map((p) => p.key)).toEqual([b]);
    await expect(clearModelCache({ package: a }, context())).rejects.toMatchObject({
      code: 'not-cached',
    });
    expect((await clearModelCache({}, context())).packages).toEqual([]);
  });
});

describe('events', () => {
  it('carry bytes, total, percent of the package and speed', () => {
    const p: PackageProgress = {
      file: 'onnx/decoder_model_merged_q4.onnx',
      loaded: 30,
      total: 60,
      bytesPerSecond: 1234,
      fromCache: false,
      fileIndex: 2,
      files: 5,
      packageLoaded: 50,
      packageTotal: 200,
    };
    expect(downloadEvent('smolvlm2-256m-video', p)).toEqual({
      type: 'progress',
      stage: 'downloading 3/5: onnx/decoder_model_merged_q4.onnx',
      done: 30,
      total: 60,
      download: {
        model: 'smolvlm2-256m-video',
        file: p.file,
        fileIndex: 2,
        files: 5,
        bytes: 30,
        totalBytes: 60,
        packageBytes: 50,
        packageTotalBytes: 200,
        percent: 25,
        bytesPerSecond: 1234,
        fromCache: false,
      },
    });
    const unknownTotal = downloadEvent('m', { ...p, packageTotal: 0 });
    expect(unknownTotal.type === 'progress' && unknownTotal.download?.percent).toBe(50);
  });

  it('include a notice, with the reason, when the models fall back to the CPU backend', async () => {
    setCurrentVideo({ frames: [], info: { duration: 1 } } as unknown as SampledVideo);
    const settings = {
      method: 'tome',
      allocation: 'exact',
      keepRatio: 0.2,
      temperature: 2,
      minPerFrame: 1,
      head: 'logit',
      seed: 0,
      generation: { maxTokens: 1, temperature: 0, topP: 1 },
    } as const;
    const events: PipelineEvent[] = [];
    const models = { vlm: 'no-such-model', relevance: 'fixture-relevance' };
    await expect(ask({ question: 'q', settings, models }, context(events))).rejects.toMatchObject({
      code: 'unknown-model',
    });
    const notices = events.filter((e) => e.type === 'notice');
    expect(notices).toEqual([
      {
        type: 'notice',
        code: 'wasm-fallback',
        message: expect.stringMatching(/run on the CPU/),
        reason: expect.objectContaining({ code: 'no-webgpu' }),
      },
    ]);
    // chosen on purpose: no notice
    const chosen: PipelineEvent[] = [];
    await ask(
      { question: 'q', settings, models: { ...models, provider: 'wasm' } },
      context(chosen),
    ).catch(() => {});
    expect(chosen.filter((e) => e.type === 'notice')).toEqual([]);
    setCurrentVideo(null);
  });
});
