// What the model cache holds, per package: its files with their sizes, whether each is complete
// and intact (its size the one the server announced), and what the package still lacks for this
// device's variant. Read from the store's entries and the registry; nothing here touches storage.

import {
  chooseVariant,
  manifestFiles,
  type ModelManifest,
  type VariantTarget,
} from './manifest.ts';
import type { StoredEntry } from './store.ts';

export interface CachedFile {
  /** Path in the package, e.g. `onnx/decoder_model_merged_q4.onnx`. */
  readonly path: string;
  readonly bytes: number;
  /** The whole file's size, when the server said. */
  readonly expectedBytes?: number;
  /** Downloaded to the end with the announced size (a partial or damaged file is not). */
  readonly complete: boolean;
}

export interface CachedPackage {
  /** The cache key of the package: pass it to `clearModelCache` to remove just this one. */
  readonly key: string;
  readonly repo: string;
  readonly revision: string;
  /** The registry package this repo is (its id), when it is one. */
  readonly modelId: string | null;
  readonly files: readonly CachedFile[];
  readonly bytes: number;
  /**
   * `complete`: every file is whole and, for a registry package, every file of the variant this
   * device loads is there; `partial`: a download to resume (or a damaged file to fetch again).
   */
  readonly state: 'complete' | 'partial';
  /** Files of this device's variant not in the cache yet (registry packages only). */
  readonly missing: readonly string[];
}

const HUB_KEY = /^hub\/([^/]+\/[^/@]+)@([^/]+)\/(.+)$/;

/** The store's entries grouped by package, in key order. */
export function cacheListing(
  entries: readonly StoredEntry[],
  manifests: readonly ModelManifest[],
  target: VariantTarget,
): CachedPackage[] {
  const groups = new Map<string, { repo: string; revision: string; files: CachedFile[] }>();
  for (const e of entries) {
    const m = HUB_KEY.exec(e.key);
    if (!m) continue;
    const [, repo, rev, path] = m;
    const key = `hub/${repo}@${rev}`;
    const g = groups.get(key) ?? { repo: repo!, revision: decodeURIComponent(rev!), files: [] };
    groups.set(key, g);
    const intact = e.expectedSize === undefined || e.expectedSize === e.size;
    g.files.push({
      path: path!,
      bytes: e.size,
      ...(e.expectedSize !== undefined && { expectedBytes: e.expectedSize }),
      complete: e.complete && intact,
    });
  }
  const sorted = [...groups].sort(([a], [b]) => a.localeCompare(b));
  return sorted.map(([key, g]) => {
    const manifest = manifests.find(
      (x) => x.source.kind === 'hub' && x.source.repo.toLowerCase() === g.repo.toLowerCase(),
    );
    const have = new Set(g.files.filter((f) => f.complete).map((f) => f.path));
    const missing = manifest
      ? manifestFiles(manifest, chooseVariant(manifest.variants, target)).filter(
          (p) => !have.has(p),
        )
      : [];
    const whole = g.files.every((f) => f.complete) && missing.length === 0;
    return {
      key,
      repo: g.repo,
      revision: g.revision,
      modelId: manifest?.id ?? null,
      files: g.files,
      bytes: g.files.reduce((n, f) => n + f.bytes, 0),
      state: whole ? 'complete' : 'partial',
      missing,
    };
  });
}
