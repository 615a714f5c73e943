// The Hugging Face Hub (or a mirror that answers like it) as its official clients use it from a
// web page (huggingface.js, transformers.js, huggingface_hub): one commit pinned per load from
// `/api/models/{repo}/revision/{revision}` (`sha`), every file's size and hash from
// `/api/models/{repo}/tree/{commit}?recursive=true` (`size`, `oid`, `lfs.oid` = sha256), and,
// where a mirror has no API, a file's size from a `GET` with `Range: bytes=0-0` (`Content-Range`):
// never a HEAD, whose Content-Length may be of a compressed body and which storage need not
// answer. And repo ids as people write them: `owner/name` or `owner/name@revision`.

import { throwIfAborted } from '../core/errors.ts';
import { modelError } from './errors.ts';
import { accessError, getWithRetry, isUnreachable, type RetryOptions } from './http.ts';
import { HUB_ENDPOINT } from './source.ts';

/** A Hub repository id with an optional revision, parsed from `owner/name[@revision]`. */
export interface HubId {
  readonly repo: string;
  readonly revision?: string;
}

const REPO = /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/;

/** `owner/name[@revision]` → repo and revision; null when `text` is not a Hub id. */
export function parseHubId(text: string): HubId | null {
  const at = text.indexOf('@');
  const repo = at < 0 ? text : text.slice(0, at);
  const revision = at < 0 ? undefined : text.slice(at + 1);
  if (!REPO.test(repo) || repo.includes('..') || revision === '') return null;
  if (revision !== undefined && !/^[\w./-]+$/.test(revision)) return null;
  return revision === undefined ? { repo } : { repo, revision };
}

/** Whether `revision` already names a commit (40 hex digits): it can never move. */
export function isCommit(revision: string): boolean {
  return /^[0-9a-f]{40}$/i.test(revision);
}

/** A file of a repo at a commit, as the tree listing gives it. */
export interface HubFile {
  readonly path: string;
  /** Bytes of the file itself (of an LFS file: the stored object, not its pointer). */
  readonly size: number;
  /** SHA-256 of an LFS (or Xet) file's bytes, hex (`lfs.oid`). */
  readonly sha256?: string;
  /** Git blob id of a file kept in git itself (`oid`: SHA-1 of `blob {size}\0` + bytes). */
  readonly oid?: string;
}

interface HubRepo {
  readonly repo: string;
  readonly endpoint?: string;
}

/** Tries of an API request: offline, the cache should not wait long. */
const API_TRIES = 3;

function api(source: HubRepo, route: string): string {
  const endpoint = (source.endpoint ?? HUB_ENDPOINT).replace(/\/+$/, '');
  return `${endpoint}/api/models/${source.repo}/${route}`;
}

/** The Hub's own error code of a response (`X-Error-Code`, e.g. RepoNotFound). */
function errorCode(r: Response): string | null {
  return r.headers.get('X-Error-Code');
}

/**
 * The commit `revision` of the repo points at now. Null when the API cannot be reached or the
 * server has none (offline, or a mirror without it): the cache, or the resolve URLs, then serve.
 */
export async function pinCommit(
  source: HubRepo & { readonly revision: string },
  options: RetryOptions = {},
): Promise<string | null> {
  if (isCommit(source.revision)) return source.revision.toLowerCase();
  const url = api(source, `revision/${encodeURIComponent(source.revision)}`);
  let r: Response;
  try {
    const what = `the revision ${source.revision} of ${source.repo}`;
    r = await getWithRetry(url, what, {}, { tries: API_TRIES, ...options });
  } catch (e) {
    throwIfAborted(options.signal);
    if (isUnreachable(e)) return null;
    throw e;
  }
  if (r.status === 401 || r.status === 403) throw accessError(r.status, source.repo, url);
  const code = errorCode(r);
  if (r.status === 404 && (code === 'RepoNotFound' || code === 'RevisionNotFound')) {
    throw modelError(
      'missing-file',
      code === 'RepoNotFound'
        ? `the Hub has no repo ${source.repo}`
        : `${source.repo} has no revision ${source.revision}`,
    );
  }
  if (!r.ok) return null;
  const body = (await r.json().catch(() => null)) as { sha?: unknown } | null;
  return typeof body?.sha === 'string' && isCommit(body.sha) ? body.sha.toLowerCase() : null;
}

/**
 * Every file of the repo at `commit` with its size and hash (pages followed). Null when the
 * server has no tree API (then sizes come from `probeFile`).
 */
export async function listTree(
  source: HubRepo,
  commit: string,
  options: RetryOptions = {},
): Promise<Map<string, HubFile> | null> {
  const files = new Map<string, HubFile>();
  let url: string | null = api(source, `tree/${commit}?recursive=true`);
  while (url) {
    let r: Response;
    try {
      const what = `the file list of ${source.repo}`;
      r = await getWithRetry(url, what, {}, { tries: API_TRIES, ...options });
    } catch (e) {
      throwIfAborted(options.signal);
      if (isUnreachable(e)) return null;
      throw e;
    }
    if (r.status === 401 || r.status === 403) throw accessError(r.status, source.repo, url);
    if (!r.ok) return null;
    const entries = (await r.json().catch(() => null)) as unknown;
    if (!Array.isArray(entries)) return null;
    for (const e of entries as TreeEntry[]) {
      if (e?.type !== 'file' || typeof e.path !== 'string') continue;
      const size = e.lfs?.size ?? e.size;
      if (typeof size !== 'number') continue;
      const sha256 = typeof e.lfs?.oid === 'string' ? e.lfs.oid.toLowerCase() : undefined;
      const oid = !sha256 && typeof e.oid === 'string' ? e.oid.toLowerCase() : undefined;
      files.set(e.path, { path: e.path, size, ...(sha256 && { sha256 }), ...(oid && { oid }) });
    }
    url = nextPage(r.headers.get('Link'), url);
  }
  return files;
}

interface TreeEntry {
  type?: string;
  path?: string;
  size?: number;
  oid?: string;
  lfs?: { oid?: string; size?: number };
}

/** The `rel="next"` target of a Link header (the tree listing's pagination), absolute. */
function nextPage(link: string | null, base: string): string | null {
  const m = link && /<([^>]+)>\s*;\s*rel="?next"?/.exec(link);
  return m ? new URL(m[1]!, base).href : null;
}

/** What the resolve URL says of a file when the API does not: its size, and the commit if shown. */
export interface ProbedFile {
  readonly size?: number;
  readonly commit?: string;
}

/**
 * A file's size from `GET` + `Range: bytes=0-0` on its resolve URL (redirects followed), as the
 * official JS clients do: `Content-Range` gives the whole size (the Content-Length of a HEAD may
 * be of a compressed body). Null when the server cannot be reached; missing-file on 404.
 */
export async function probeFile(
  url: string,
  file: string,
  options: RetryOptions = {},
): Promise<ProbedFile | null> {
  let r: Response;
  try {
    r = await getWithRetry(url, file, { Range: 'bytes=0-0' }, options);
  } catch (e) {
    throwIfAborted(options.signal);
    if (isUnreachable(e)) return null;
    throw e;
  }
  await r.body?.cancel().catch(() => {});
  if (r.status === 404) throw modelError('missing-file', `${file} was not found at ${url}`);
  if (r.status === 401 || r.status === 403) throw accessError(r.status, file, url);
  if (!r.ok) return null;
  const total = /\/(\d+)\s*$/.exec(r.headers.get('Content-Range') ?? '');
  const commit = r.headers.get('X-Repo-Commit') ?? undefined;
  return {
    ...(total && { size: Number(total[1]) }),
    ...(commit && isCommit(commit) && { commit: commit.toLowerCase() }),
  };
}

/**
 * The JSON file at `url` (a package's config.json, read to know what model it is), tried again on
 * a 429 or a dropped connection: null when there is none or it cannot be reached; access-denied
 * for a gated or private repo.
 */
export async function fetchJsonFile(url: string, options: RetryOptions = {}): Promise<unknown> {
  let r: Response;
  try {
    r = await getWithRetry(url, url.split('/').pop() ?? url, {}, { tries: API_TRIES, ...options });
  } catch (e) {
    throwIfAborted(options.signal);
    if (isUnreachable(e)) return null;
    throw e;
  }
  if (r.status === 401 || r.status === 403) {
    throw accessError(r.status, url.split('/').pop() ?? url, url);
  }
  return r.ok ? r.json().catch(() => null) : null;
}
