// The worker's models: manifests by id or by source (model-refs.ts), packages loaded once (files
// from the store or the network with progress, checked against the device's limits before any
// download, then sessions: WebGPU on the worker's own device, or wasm when WebGPU is missing), and
// the features of the open video, computed once per (video, models) and reused.

import type { GpuContext } from '../gpu/device.ts';
import { parseHeadFile } from '../kvtp/head-file.ts';
import { assertFits } from '../models/fit.ts';
import {
  createSession,
  loadOptionalFiles,
  loadPackageFiles,
  type PackageProgress,
  type SessionOptions,
} from '../models/loader.ts';
import type { ModelManifest, RelevanceManifest, VlmManifest } from '../models/manifest.ts';
import { onnxRuntime } from '../models/ort.ts';
import { REGISTRY } from '../models/registry.ts';
import { variantFor, type ModelRefLike } from '../models/resolve.ts';
import { RelevanceModel } from '../models/relevance.ts';
import { MemoryStore, OpfsStore, type ModelStore } from '../models/store.ts';
import { cacheNames, KvDecoder } from '../vlm/decoder.ts';
import { TopK } from '../vlm/sample.ts';
import { PipelineCache } from '../gpu/pipelines.ts';

/** Candidates read back per decoding step (sampling picks among them; greedy takes the first). */
const CANDIDATES = 64;
import type { LoadedVlm } from '../vlm/pipeline.ts';
import { chatTemplateIn, PromptBuilder } from '../vlm/prompt.ts';
import { CodedError } from './errors.ts';
import { volatileCacheNotice } from './model-events.ts';
import { presentIn, refKey, resolveRef } from './model-refs.ts';
import type { PipelineEvent } from './protocol.ts';

/** Every package the worker knows, by id. */
export const MANIFESTS: readonly ModelManifest[] = REGISTRY;

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
/** Where downloaded model files are kept: OPFS, or memory where the browser has none. */
export function modelStore(): ModelStore {
  store ??= OpfsStore.available() ? new OpfsStore() : new MemoryStore();
  return store;
}

export interface LoadContext {
  readonly gpu: GpuContext | null;
  readonly signal: AbortSignal;
  /** Download progress of a package's files (`model`: the package's id). */
  onProgress(p: PackageProgress & { readonly model: string }): void;
  /** Notices for the page (e.g. downloads that will not persist). */
  onNotice?(notice: PipelineEvent): void;
}

const loaded = new Map<string, Promise<LoadedVlm | RelevanceModel>>();

async function files(m: ModelManifest, ctx: LoadContext) {
  const provider = ctx.gpu ? 'webgpu' : 'wasm';
  const variant = variantFor(m, { provider, hasF16: ctx.gpu?.hasF16 ?? false }, presentIn(m));
  const origin = new URL(import.meta.env.BASE_URL, self.location.origin).href;
  if (m.source.kind === 'hub' && !modelStore().persistent) ctx.onNotice?.(volatileCacheNotice());
  const got = await loadPackageFiles(m, variant, {
    store: modelStore(),
    signal: ctx.signal,
    origin,
    onProgress: (p) => ctx.onProgress({ ...p, model: m.id }),
    // too large for this device: said before anything is downloaded or a session is made
    beforeDownload: (sizes) =>
      assertFits(m, variant, sizes, {
        provider,
        ...(ctx.gpu && { limits: ctx.gpu.limits }),
        prefillChunk: 256,
      }),
  });
  // small files a package may lack (the chat template's homes, tokenizer_config.json)
  const optional = await loadOptionalFiles(m, { store: modelStore(), signal: ctx.signal, origin });
  optional.forEach((blob, path) => got.set(path, blob));
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
  const { got, variant } = await files(m, ctx);
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
    await chatTemplateIn(got, m.title),
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
  const { got, variant } = await files(m, ctx);
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

/**
 * The loaded VLM `ref` (a registry id or a source; loaded on first use; a failed load is
 * forgotten so it can be retried).
 */
export function loadVlm(ref: ModelRefLike, ctx: LoadContext): Promise<LoadedVlm> {
  return remember(`vlm:${refKey(ref)}:${ctx.gpu ? 'webgpu' : 'wasm'}`, async () =>
    loadVlmNow(await resolveRef(ref, 'vlm', ctx.signal), ctx),
  ) as Promise<LoadedVlm>;
}

export function loadRelevance(ref: ModelRefLike, ctx: LoadContext): Promise<RelevanceModel> {
  return remember(`rel:${refKey(ref)}:${ctx.gpu ? 'webgpu' : 'wasm'}`, async () =>
    loadRelevanceNow(await resolveRef(ref, 'relevance', ctx.signal), ctx),
  ) as Promise<RelevanceModel>;
}

/** A key naming a model choice's sources (for work made with those models, e.g. features). */
export function choiceKey(vlm: ModelRefLike, relevance: ModelRefLike): string {
  return `${refKey(vlm)}|${refKey(relevance)}`;
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
