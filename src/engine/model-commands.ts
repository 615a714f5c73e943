// The engine's model commands for the page's model picker and cache panel: `listModels` (the
// packages the app knows and the variant this device would load), `modelCache` (what the
// persistent cache holds, per package: files, bytes, complete or partial) and `clearModelCache`
// (all of it, or one package). The events loading sends are in notices.ts.

import { cacheListing } from '../models/cache.ts';
import { chooseVariant, type ModelManifest } from '../models/manifest.ts';
import { DEFAULT_RELEVANCE, DEFAULT_VLM, HUB_RELEVANCE, HUB_VLMS } from '../models/registry.ts';
import { CodedError } from '../core/errors.ts';
import type { DeviceSlot } from './device.ts';
import { MANIFESTS, type ModelHost } from './models.ts';
import type { ModelCacheListing, ModelInfo, ModelList } from './types.ts';

type Provider = 'auto' | 'wasm' | undefined;

/** Which packages are what, for the picker. */
function purpose(m: ModelManifest): ModelInfo['purpose'] {
  if (m === DEFAULT_VLM || m === DEFAULT_RELEVANCE) return 'default';
  if ((HUB_VLMS as readonly ModelManifest[]).includes(m)) return 'hub';
  if ((HUB_RELEVANCE as readonly ModelManifest[]).includes(m)) return 'hub';
  return 'test';
}

async function target(device: DeviceSlot, provider: Provider) {
  if (provider === 'wasm') return { provider: 'wasm', hasF16: false } as const;
  try {
    const ctx = await device.context();
    return { provider: 'webgpu', hasF16: ctx.hasF16 } as const;
  } catch {
    return { provider: 'wasm', hasF16: false } as const;
  }
}

/** The packages the app knows, with the variant this device would load. */
export async function listModels(device: DeviceSlot, provider: Provider): Promise<ModelList> {
  const t = await target(device, provider);
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
    learnedHead: m.kind === 'relevance' && m.files.head !== null,
  }));
  return { models, provider: t.provider, f16: t.hasF16 };
}

/** What the persistent cache holds, per package. */
export async function modelCache(
  models: ModelHost,
  device: DeviceSlot,
  provider?: Provider,
): Promise<ModelCacheListing> {
  const { store } = models;
  const packages = cacheListing(await store.list(), MANIFESTS, await target(device, provider));
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

/** Empty the cache, or one package of it (`not-cached` when there is no such package). */
export async function clearModelCache(
  models: ModelHost,
  device: DeviceSlot,
  pkg: string | undefined,
): Promise<ModelCacheListing> {
  if (pkg !== undefined) {
    const known = (await modelCache(models, device)).packages.some((p) => p.key === pkg);
    if (!known) throw new CodedError('not-cached', `No package "${pkg}" is in the model cache`);
    await models.store.clear(`${pkg}/`);
  } else {
    await models.store.clear('hub/');
  }
  return modelCache(models, device);
}
