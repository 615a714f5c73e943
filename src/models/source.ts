// Where a model package's files come from: the Hugging Face Hub (by repo and revision), a URL
// path (the app's own public/ folder, or a directory the command line serves), or a folder the
// user picked from disk. One key scheme for the cache: `${source key}/${path}`, a Hub package's
// key being `hub/{owner}/{name}@{revision, URI-encoded}`.

export type PackageSource =
  | {
      readonly kind: 'hub';
      readonly repo: string;
      readonly revision: string;
      /** Hub origin; tests point it at a local server. */
      readonly endpoint?: string;
    }
  | { readonly kind: 'url'; readonly base: string }
  | { readonly kind: 'folder'; readonly name: string; readonly files: ReadonlyMap<string, Blob> };

export const HUB_ENDPOINT = 'https://huggingface.co';

/** The URL of `path` in a hub or url package (folders have none). */
export function fileUrl(source: PackageSource, path: string, origin?: string): string | null {
  const clean = path.replace(/^\/+/, '');
  if (source.kind === 'hub') {
    const endpoint = (source.endpoint ?? HUB_ENDPOINT).replace(/\/+$/, '');
    const rev = encodeURIComponent(source.revision);
    return `${endpoint}/${source.repo}/resolve/${rev}/${clean.split('/').map(encodeURIComponent).join('/')}`;
  }
  if (source.kind === 'url') {
    const base = source.base.endsWith('/') ? source.base : `${source.base}/`;
    return new URL(clean, new URL(base, origin ?? globalThis.location?.href)).href;
  }
  return null;
}

/** The cache key of a package: files of different revisions never mix. */
export function sourceKey(source: PackageSource): string {
  if (source.kind === 'hub') return `hub/${source.repo}@${encodeURIComponent(source.revision)}`;
  if (source.kind === 'url') return `url/${source.base.replace(/\/+$/, '')}`;
  return `folder/${source.name}`;
}

/** Whether files of this source are worth caching (remote ones are; local ones are not). */
export function isRemote(source: PackageSource): boolean {
  return source.kind === 'hub';
}

/** Files of a folder picked with <input webkitdirectory>, keyed by path below the folder. */
export function folderSource(files: Iterable<File>): PackageSource {
  const map = new Map<string, Blob>();
  let name = 'folder';
  for (const f of files) {
    const rel = (f as File & { webkitRelativePath?: string }).webkitRelativePath || f.name;
    const parts = rel.split('/');
    if (parts.length > 1) name = parts[0]!;
    map.set(parts.length > 1 ? parts.slice(1).join('/') : rel, f);
  }
  return { kind: 'folder', name, files: map };
}
