// The worker's model commands for the page's model picker and cache panel: `listModels` (the
// packages the app knows and the variant this device would load), `modelCache` (what the
// persistent cache holds, per package: files, bytes, complete or partial) and `clearModelCache`
// (all of it, or one package). The events loading sends are in model-events.ts.

import { acquireGpu } from '../gpu/device.ts';
import { cacheListing } from '../models/cache.ts';
import { chooseVariant, type ModelManifest } from '../models/manifest.ts';
import { DEFAULT_RELEVANCE, DEFAULT_VLM, HUB_RELEVANCE, HUB_VLMS } from '../models/registry.ts';
import { CodedError } from '../core/errors.ts';
import type { Handler } from '../worker/handlers.ts';
import { MANIFESTS, modelStore } from './models.ts';
import type { ModelInfo, ModelCacheListing } from '../worker/protocol.ts';
import { gpu } from './state.ts';

/** Which packages are what, for the picker. */
function purpose(m: ModelManifest): ModelInfo['purpose'] {
  if (m === DEFAULT_VLM || m === DEFAULT_RELEVANCE) return 'default';
  if ((HUB_VLMS as readonly ModelManifest[]).includes(m)) return 'hub';
  if ((HUB_RELEVANCE as readonly ModelManifest[]).includes(m)) return 'hub';
  return 'test';
}

async function target(provider: 'auto' | 'wasm' | undefined) {
  if (provider === 'wasm') return { provider: 'wasm', hasF16: false } as const;
  try {
    const ctx = await gpu(() => acquireGpu(navigator.gpu));
    return { provider: 'webgpu', hasF16: ctx.hasF16 } as const;
  } catch {
    return { provider: 'wasm', hasF16: false } as const;
  }
}

export const listModels: Handler<'listModels'> = async (args) => {
  const t = await target(args.provider);
  const models: ModelInfo[] = MANIFESTS.map((m) => ({
    id: m.id,
    kind: m.kind,
    title: m.title,
    purpose: purpose(m),
    source:
      m.source.kind === 'hub'
        ? { kind: 'hub', repo: m.source.repo, revision: m.source.revision }
        : { kind: 'app' },
    ref: { kind: 'registry', id: m.id },
    variant: chooseVariant(m.variants, t),
    variants: m.variants.available,
  }));
  return { models, provider: t.provider, f16: t.hasF16 };
};

async function listing(provider?: 'auto' | 'wasm'): Promise<ModelCacheListing> {
  const store = modelStore();
  const packages = cacheListing(await store.list(), MANIFESTS, await target(provider));
  const estimate =
    typeof navigator !== 'undefined' && navigator.storage?.estimate
      ? await navigator.storage.estimate().catch(() => null)
      : null;
  return {
    persistent: store.persistent,
    packages,
    bytes: packages.reduce((n, p) => n + p.bytes, 0),
    usage: estimate?.usage ?? null,
    quota: estimate?.quota ?? null,
  };
}

export const modelCache: Handler<'modelCache'> = async (args) => listing(args.provider);

export const clearModelCache: Handler<'clearModelCache'> = async (args) => {
  const store = modelStore();
  if (args.package !== undefined) {
    const known = (await listing()).packages.some((p) => p.key === args.package);
    if (!known) {
      throw new CodedError('not-cached', `No package "${args.package}" is in the model cache`);
    }
    await store.clear(`${args.package}/`);
  } else {
    await store.clear('hub/');
  }
  return listing();
};
