// The worker's models: manifests by id, packages loaded once (files from the store or the
// network with progress, then sessions: WebGPU on the worker's own device, or wasm when WebGPU
// is missing), and the features of the open video, computed once per (video, models) and reused.

import type { GpuContext } from '../gpu/device.ts';
import { parseHeadFile } from '../kvtp/head-file.ts';
import type { DownloadProgress } from '../models/download.ts';
import { createSession, loadPackageFiles, type SessionOptions } from '../models/loader.ts';
import {
  chooseVariant,
  type ModelManifest,
  type RelevanceManifest,
  type VlmManifest,
} from '../models/manifest.ts';
import { onnxRuntime } from '../models/ort.ts';
import {
  DEMO_RELEVANCE,
  DEMO_VLM,
  FIXTURE_RELEVANCE,
  FIXTURE_VLM,
  HUB_RELEVANCE,
  HUB_VLMS,
} from '../models/registry.ts';
import { RelevanceModel } from '../models/relevance.ts';
import { MemoryStore, OpfsStore, type ModelStore } from '../models/store.ts';
import { fileUrl } from '../models/source.ts';
import { cacheNames, KvDecoder } from '../vlm/decoder.ts';
import { TopK } from '../vlm/sample.ts';
import { PipelineCache } from '../gpu/pipelines.ts';

/** Candidates read back per decoding step (sampling picks among them; greedy takes the first). */
const CANDIDATES = 64;
import type { LoadedVlm } from '../vlm/pipeline.ts';
import { PromptBuilder, templateOf } from '../vlm/prompt.ts';
import { CodedError } from './errors.ts';

/** Every package the worker knows, by id. */
export const MANIFESTS: readonly ModelManifest[] = [
  DEMO_VLM,
  DEMO_RELEVANCE,
  ...HUB_VLMS,
  ...HUB_RELEVANCE,
  FIXTURE_VLM,
  FIXTURE_RELEVANCE,
];

export function manifestById<K extends ModelManifest['kind']>(
  id: string,
  kind: K,
): Extract<ModelManifest, { kind: K }> {
  const m = MANIFESTS.find((x) => x.id === id);
  if (!m || m.kind !== kind) {
    throw new CodedError(
      'unknown-model',
      `There is no ${kind === 'vlm' ? 'language' : 'relevance'} model "${id}"`,
    );
  }
  return m as Extract<ModelManifest, { kind: K }>;
}

let store: ModelStore | null = null;
function modelStore(): ModelStore {
  store ??= OpfsStore.available() ? new OpfsStore() : new MemoryStore();
  return store;
}

export interface LoadContext {
  readonly gpu: GpuContext | null;
  readonly signal: AbortSignal;
  onProgress(p: DownloadProgress & { fileIndex: number; files: number }): void;
}

const loaded = new Map<string, Promise<LoadedVlm | RelevanceModel>>();

async function files(m: ModelManifest, ctx: LoadContext, extra: string[]) {
  const variant = chooseVariant(m.variants, {
    provider: ctx.gpu ? 'webgpu' : 'wasm',
    hasF16: ctx.gpu?.hasF16 ?? false,
  });
  const origin = new URL(import.meta.env.BASE_URL, self.location.origin).href;
  const got = await loadPackageFiles(m, variant, {
    store: modelStore(),
    signal: ctx.signal,
    origin,
    onProgress: (p) => ctx.onProgress(p),
  });
  // small JSON files the manifest does not list for download accounting
  for (const path of extra) {
    if (m.source.kind === 'folder') {
      const blob = m.source.files.get(path);
      if (blob) got.set(path, blob);
      continue;
    }
    const url = fileUrl(m.source, path, origin);
    if (url) {
      const r = await fetch(url, { signal: ctx.signal }).catch(() => null);
      if (r?.ok) got.set(path, await r.blob()); // optional: the tokenizer has defaults
    }
  }
  return { got, variant };
}

function sessionOptions(ctx: LoadContext, gpuOutputs: string[] = []): SessionOptions {
  return ctx.gpu
    ? { provider: 'webgpu', device: ctx.gpu.device, gpuOutputs }
    : { provider: 'wasm' };
}

const readJson = async (f: Map<string, Blob>, path: string): Promise<object> => {
  const blob = f.get(path);
  return blob ? (JSON.parse(await blob.text()) as object) : {};
};

async function loadVlmNow(m: VlmManifest, ctx: LoadContext): Promise<LoadedVlm> {
  const ort = onnxRuntime();
  const { got, variant } = await files(m, ctx, ['tokenizer_config.json']);
  // vision tokens and token embeddings stay on the GPU (reduced and spliced there), the KV cache
  // and the logits too (src/vlm/decoder.ts): only top-K candidates are read back per step
  const vision = await createSession(
    ort,
    got,
    m.files.visionEncoder,
    variant,
    sessionOptions(ctx, ['image_features']),
  );
  const embed = await createSession(
    ort,
    got,
    m.files.embedTokens,
    variant,
    sessionOptions(ctx, ['inputs_embeds']),
  );
  const names = cacheNames(m.decoder);
  const decoder = await createSession(
    ort,
    got,
    m.files.decoder,
    variant,
    sessionOptions(ctx, [...names.present, 'logits']),
  );
  const prompt = new PromptBuilder(
    await readJson(got, m.files.tokenizer),
    await readJson(got, 'tokenizer_config.json'),
    templateOf(await readJson(got, m.files.chatTemplate)),
    m,
  );
  const topK = ctx.gpu
    ? new TopK(ctx.gpu.device, new PipelineCache(ctx.gpu.device), CANDIDATES)
    : null;
  return {
    manifest: m,
    prompt,
    vision,
    decoder: new KvDecoder(ort, embed, decoder, m.decoder, {
      gpu: ctx.gpu && topK ? { device: ctx.gpu.device, topK } : null,
    }),
    provider: ctx.gpu ? 'webgpu' : 'wasm',
  };
}

async function loadRelevanceNow(m: RelevanceManifest, ctx: LoadContext): Promise<RelevanceModel> {
  const ort = onnxRuntime();
  const { got, variant } = await files(m, ctx, ['tokenizer_config.json']);
  const opts = sessionOptions(ctx);
  const text = await createSession(ort, got, m.files.textModel, variant, opts);
  const vision = await createSession(ort, got, m.files.visionModel, variant, opts);
  const headBlob = m.files.head ? got.get(m.files.head) : undefined;
  const head = headBlob ? parseHeadFile(await headBlob.arrayBuffer()) : null;
  const tokenizer = await readJson(got, m.files.tokenizer);
  return new RelevanceModel(
    ort,
    m,
    text,
    vision,
    tokenizer,
    await readJson(got, 'tokenizer_config.json'),
    head,
  );
}

/** The loaded VLM `id` (loaded on first use; a failed load is forgotten so it can be retried). */
export function loadVlm(id: string, ctx: LoadContext): Promise<LoadedVlm> {
  return remember(`vlm:${id}:${ctx.gpu ? 'webgpu' : 'wasm'}`, () =>
    loadVlmNow(manifestById(id, 'vlm'), ctx),
  ) as Promise<LoadedVlm>;
}

export function loadRelevance(id: string, ctx: LoadContext): Promise<RelevanceModel> {
  return remember(`rel:${id}:${ctx.gpu ? 'webgpu' : 'wasm'}`, () =>
    loadRelevanceNow(manifestById(id, 'relevance'), ctx),
  ) as Promise<RelevanceModel>;
}

function remember(key: string, load: () => Promise<LoadedVlm | RelevanceModel>) {
  let p = loaded.get(key);
  if (!p) {
    p = load();
    loaded.set(key, p);
    p.catch(() => loaded.delete(key));
  }
  return p;
}

/** Forget loaded sessions (after a lost device: they were made on it). */
export function forgetModels(): void {
  loaded.clear();
}
