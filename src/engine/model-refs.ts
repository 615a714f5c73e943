// The engine's side of model sources: a `ModelChoice` entry (a registry id, a Hub repo, a served
// directory, a picked folder) resolved to its manifest once and remembered, with a key that tells
// two sources apart (for the loaded sessions and the video features made with them) and what is
// known to be in the package (for choosing a variant among the files a folder has).

import { fetchJsonFile } from '../models/hub.ts';
import type { ModelManifest } from '../models/manifest.ts';
import { asRef, presentFiles, resolveManifest, type ModelRefLike } from '../models/resolve.ts';

type ManifestOf<K extends ModelManifest['kind']> = Extract<ModelManifest, { kind: K }>;

/** A key that differs between any two sources (a folder by name, file count and bytes). */
export function refKey(ref: ModelRefLike): string {
  const r = asRef(ref);
  if (r.kind === 'registry') return `id:${r.id}`;
  if (r.kind === 'hub') return `hub:${r.endpoint ?? ''}|${r.repo}@${r.revision ?? ''}`;
  if (r.kind === 'url') return `url:${r.base}`;
  const bytes = r.files.reduce((n, f) => n + f.file.size, 0);
  return `folder:${r.name}|${r.files.length}|${bytes}`;
}

/** Sources resolved to manifests, each once (a failure is forgotten so it can be retried). */
export class ModelRefs {
  private readonly resolved = new Map<string, Promise<ModelManifest>>();
  private readonly present = new WeakMap<ModelManifest, ((path: string) => boolean) | null>();

  /** @param origin the app's base URL, against which app-served packages resolve */
  constructor(private readonly origin: string) {}

  /** The manifest `ref` stands for. */
  resolve<K extends ModelManifest['kind']>(
    ref: ModelRefLike,
    kind: K,
    signal?: AbortSignal,
  ): Promise<ManifestOf<K>> {
    const key = `${kind}|${refKey(ref)}`;
    let p = this.resolved.get(key);
    if (!p) {
      p = resolveManifest(ref, kind, {
        origin: this.origin,
        // retried on a 429; a gated repo's 401 is said as such
        fetchJson: (url) => fetchJsonFile(url, signal ? { signal } : {}),
      }).then((m) => {
        this.present.set(m, presentFiles(ref));
        return m;
      });
      this.resolved.set(key, p);
      p.catch(() => this.resolved.delete(key));
    }
    return p as Promise<ManifestOf<K>>;
  }

  /** Files known to be in `manifest`'s package (a folder, a listed directory), or null. */
  presentIn(manifest: ModelManifest): ((path: string) => boolean) | null {
    return this.present.get(manifest) ?? null;
  }
}
