// Asking the Hugging Face Hub (or a server that answers like it) about a file before downloading
// it: a HEAD on its resolve URL gives the file's size (X-Linked-Size, or the Content-Length of the
// storage it redirects to), its ETag and the commit the revision points at (X-Repo-Commit). And
// repo ids as people write them: `owner/name` or `owner/name@revision`.

import { throwIfAborted } from '../core/errors.ts';
import { servedFile, type ServedFile } from './download.ts';
import { modelError } from './errors.ts';

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

/**
 * What the server says about the file at `url` (HEAD, redirects followed): null when it cannot be
 * reached (offline: the cache may still have the file); missing-file when it has no such file.
 */
export async function headFile(
  url: string,
  file: string,
  options: { fetch?: typeof fetch; signal?: AbortSignal } = {},
): Promise<ServedFile | null> {
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(url, {
      method: 'HEAD',
      ...(options.signal && { signal: options.signal }),
    });
  } catch {
    throwIfAborted(options.signal);
    return null;
  }
  if (response.status === 404) throw modelError('missing-file', `${file} was not found at ${url}`);
  if (response.status === 401 || response.status === 403) {
    throw modelError('missing-file', `${file} at ${url} needs a login (a gated or private model)`);
  }
  if (!response.ok) return null;
  return servedFile(response);
}
