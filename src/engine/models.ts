// The engine's models: manifests by id or by source (model-refs.ts), packages loaded once (files
// from the store or the network with progress, checked against the device's limits before any
// download, then sessions: WebGPU on the engine's own device, or wasm when WebGPU is missing).
// ModelHost holds all of it; a lost device makes it forget the sessions made on that device.

import type { GpuContext } from '../gpu/device.ts';
import { parseHeadFile } from '../kvtp/head-file.ts';
import { assertFits } from '../models/fit.ts';
import {
  createSession,
  loadPackageFiles,
  type PackageProgress,
  type SessionOptions,
} from '../models/loader.ts';
import {
  optionalFiles,
  type ModelManifest,
  type RelevanceManifest,
  type VlmManifest,
} from '../models/manifest.ts';
import { onnxRuntime } from '../models/ort.ts';
import { REGISTRY } from '../models/registry.ts';
import { variantFor, type ModelRefLike } from '../models/resolve.ts';
import { RelevanceModel } from '../models/relevance.ts';
import { MemoryStore, OpfsStore, type ModelStore } from '../models/store.ts';
import { cacheNames, KvDecoder } from '../vlm/decoder.ts';
import { TopK } from '../vlm/next-token.ts';
import { PipelineCache } from '../gpu/pipelines.ts';
import type { LoadedVlm } from '../vlm/pipeline.ts';
import { chatTemplateIn, PromptBuilder } from '../vlm/prompt.ts';
import { CodedError } from '../core/errors.ts';
import { volatileCacheNotice } from './notices.ts';
import { ModelRefs, refKey } from './model-refs.ts';
import type { PipelineEvent } from './types.ts';

/** Candidates read back per decoding step (sampling picks among them; greedy takes the first). */
const CANDIDATES = 64;

/** Every package the engine knows, by id. */
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

export interface LoadContext {
  readonly gpu: GpuContext | null;
  readonly signal: AbortSignal;
  /** Download progress of a package's files (`model`: the package's id). */
  onProgress(p: PackageProgress & { readonly model: string }): void;
  /** Notices for the page (e.g. downloads that will not persist). */
  onNotice?(notice: PipelineEvent): void;
}

async function files(host: ModelHost, m: ModelManifest, ctx: LoadContext, extra: string[]) {
  const provider = ctx.gpu ? 'webgpu' : 'wasm';
  const variant = variantFor(
    m,
    { provider, hasF16: ctx.gpu?.hasF16 ?? false },
    host.refs.presentIn(m),
  );
  const { origin, store } = host;
  if (m.source.kind === 'hub' && !store.persistent) ctx.onNotice?.(volatileCacheNotice());
  const got = await loadPackageFiles(m, variant, {
    store,
    signal: ctx.signal,
    origin,
    onProgress: (p) => ctx.onProgress({ ...p, model: m.id }),
    // small files the manifest does not list, loaded (and cached) where the package has them
    optional: extra,
    // too large for this device: said before anything is downloaded or a session is made
    beforeDownload: (sizes) =>
      assertFits(m, variant, sizes, {
        provider,
        ...(ctx.gpu && { limits: ctx.gpu.limits }),
        prefillChunk: 256,
      }),
  });
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

async function loadVlmNow(host: ModelHost, m: VlmManifest, ctx: LoadContext): Promise<LoadedVlm> {
  const ort = onnxRuntime();
  const { got, variant } = await files(host, m, ctx, optionalFiles(m));
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

async function loadRelevanceNow(
  host: ModelHost,
  m: RelevanceManifest,
  ctx: LoadContext,
): Promise<RelevanceModel> {
  const ort = onnxRuntime();
  const { got, variant } = await files(host, m, ctx, optionalFiles(m));
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

/** A key naming a model choice's sources (for work made with those models, e.g. features). */
export function choiceKey(vlm: ModelRefLike, relevance: ModelRefLike): string {
  return `${refKey(vlm)}|${refKey(relevance)}`;
}

/** The engine's models: where their files are kept, their manifests and their loaded sessions. */
export class ModelHost {
  /** Where downloaded model files are kept: OPFS, or memory where the browser has none. */
  readonly store: ModelStore;
  readonly refs: ModelRefs;
  private readonly loaded = new Map<string, Promise<LoadedVlm | RelevanceModel>>();

  /** @param origin the app's base URL (app-served packages and the demo load from it) */
  constructor(
    readonly origin: string,
    store?: ModelStore,
  ) {
    this.store = store ?? (OpfsStore.available() ? new OpfsStore() : new MemoryStore());
    this.refs = new ModelRefs(origin);
  }

  /**
   * The loaded VLM `ref` (a registry id or a source; loaded on first use; a failed load is
   * forgotten so it can be retried).
   */
  vlm(ref: ModelRefLike, ctx: LoadContext): Promise<LoadedVlm> {
    return this.remember(`vlm:${refKey(ref)}:${ctx.gpu ? 'webgpu' : 'wasm'}`, async () =>
      loadVlmNow(this, await this.refs.resolve(ref, 'vlm', ctx.signal), ctx),
    ) as Promise<LoadedVlm>;
  }

  /** The loaded relevance model `ref`, as `vlm` does it. */
  relevance(ref: ModelRefLike, ctx: LoadContext): Promise<RelevanceModel> {
    return this.remember(`rel:${refKey(ref)}:${ctx.gpu ? 'webgpu' : 'wasm'}`, async () =>
      loadRelevanceNow(this, await this.refs.resolve(ref, 'relevance', ctx.signal), ctx),
    ) as Promise<RelevanceModel>;
  }

  /** Forget loaded sessions (after a lost device: they were made on it). */
  forget(): void {
    this.loaded.clear();
  }

  private remember(key: string, load: () => Promise<LoadedVlm | RelevanceModel>) {
    let p = this.loaded.get(key);
    if (!p) {
      p = load();
      this.loaded.set(key, p);
      p.catch(() => this.loaded.delete(key));
    }
    return p;
  }
}
