// Downloading one model file into the store: resumable (HTTP Range from what is already stored,
// with If-Range so that the rest comes from the same version of the file), with progress (bytes,
// total, speed), cancellation, and integrity on size: what the server promised (X-Linked-Size,
// Content-Range, Content-Length) is recorded with the entry, a body that ends at another length is
// a corrupt file, and a cached copy whose size is not the recorded one is fetched again. A failed
// or cancelled download keeps its partial file so the next try resumes.

import { throwIfAborted } from '../core/errors.ts';
import { modelError } from './errors.ts';
import type { EntryMeta, ModelStore } from './store.ts';

export interface DownloadProgress {
  /** The file's path in its package. */
  readonly file: string;
  readonly loaded: number;
  /** Total bytes, 0 while unknown. */
  readonly total: number;
  /** Recent download speed, bytes per second (0 when served from the cache). */
  readonly bytesPerSecond: number;
  readonly fromCache: boolean;
}

export interface DownloadOptions {
  /** The file's path in its package, for progress and messages. */
  readonly file: string;
  /** Size the package promises (a HEAD or a listing); a file of another size is corrupt. */
  readonly expectedSize?: number;
  /** The server's current ETag for the file: a cached copy with another one is out of date. */
  readonly expectedEtag?: string;
  readonly signal?: AbortSignal;
  onProgress?(p: DownloadProgress): void;
  /** For tests: the fetch to use. */
  readonly fetch?: typeof fetch;
  /** Minimum milliseconds between progress reports (default 100). */
  readonly progressInterval?: number;
}

/** The complete file at `url`, from the store if it is there intact, else downloaded into it. */
export async function downloadFile(
  url: string,
  key: string,
  store: ModelStore,
  options: DownloadOptions,
): Promise<Blob> {
  const { file, signal } = options;
  const cached = await store.read(key);
  if (cached) {
    const meta = await store.meta(key);
    const want = options.expectedSize ?? meta?.size;
    const stale = Boolean(options.expectedEtag && meta?.etag && meta.etag !== options.expectedEtag);
    if ((want === undefined || cached.size === want) && !stale) {
      const size = cached.size;
      const p = { file, loaded: size, total: size, bytesPerSecond: 0, fromCache: true };
      options.onProgress?.(p);
      return cached;
    }
    await store.delete(key); // a damaged or out-of-date cached copy: fetch it again
  }
  for (let attempt = 0; ; attempt++) {
    throwIfAborted(signal);
    const outcome = await fetchInto(url, key, store, options);
    if (outcome === 'done') break;
    if (attempt >= 2) throw modelError('network', `${file}: the server ignored resumption`);
  }
  const blob = await store.read(key);
  if (!blob) throw modelError('network', `${file} could not be stored`);
  const want = options.expectedSize ?? (await store.meta(key))?.size;
  if (want !== undefined && blob.size !== want) {
    await store.delete(key);
    throw modelError('corrupt-file', `${file} has ${blob.size} bytes where ${want} were expected`);
  }
  return blob;
}

/** What a response says about the whole file. */
export interface ServedFile {
  /** Bytes of the whole file, when the server said. */
  readonly size?: number;
  readonly etag?: string;
  readonly commit?: string;
}

/**
 * Size, ETag and commit of a file from a response's headers, preferring the Hub's X-Linked-*
 * (they describe the file itself where a redirect points at storage). A Content-Length of an
 * encoded (compressed) body says nothing about the file's size and is ignored.
 */
export function servedFile(response: Response, offset = 0): ServedFile {
  const h = response.headers;
  const linked = positive(h.get('X-Linked-Size'));
  const range = /\/(\d+)\s*$/.exec(h.get('Content-Range') ?? '');
  const encoded = !/^(identity)?$/i.test(h.get('Content-Encoding') ?? '');
  const length = encoded ? undefined : positive(h.get('Content-Length'));
  const size =
    linked ??
    (range ? Number(range[1]) : undefined) ??
    (length !== undefined ? length + (response.status === 206 ? offset : 0) : undefined);
  const etag = h.get('X-Linked-Etag') ?? h.get('ETag') ?? undefined;
  const commit = h.get('X-Repo-Commit') ?? undefined;
  return {
    ...(size !== undefined && { size }),
    ...(etag && { etag }),
    ...(commit && { commit }),
  };
}

function positive(v: string | null): number | undefined {
  const n = v === null ? NaN : Number(v);
  return Number.isFinite(n) && n >= 0 && v !== '' ? n : undefined;
}

async function fetchInto(
  url: string,
  key: string,
  store: ModelStore,
  options: DownloadOptions,
): Promise<'done' | 'restart'> {
  const { file, signal } = options;
  const doFetch = options.fetch ?? fetch;
  let offset = await store.partialSize(key);
  let meta: EntryMeta | null = offset > 0 ? await store.meta(key) : null;
  const known = options.expectedSize ?? meta?.size;
  const otherVersion = options.expectedEtag && meta?.etag && meta.etag !== options.expectedEtag;
  if ((known !== undefined && offset > known) || otherVersion) {
    await store.delete(key); // what we hold cannot be the start of this file
    offset = 0;
    meta = null;
  }
  const headers: Record<string, string> = {};
  if (offset > 0) {
    headers.Range = `bytes=${offset}-`;
    // a strong validator: the server sends the rest only if the file is still that version
    if (meta?.etag && !meta.etag.startsWith('W/')) headers['If-Range'] = meta.etag;
  }
  let response: Response;
  try {
    response = await doFetch(url, { signal, headers });
  } catch (e) {
    throwIfAborted(signal);
    throw modelError('network', `${file} (${(e as Error).message})`, e);
  }
  if (response.status === 404) throw modelError('missing-file', `${file} was not found at ${url}`);
  if (response.status === 416) {
    await store.delete(key); // what we hold is not a prefix of the file any more: start over
    return 'restart';
  }
  if (!response.ok) {
    throw modelError('network', `${file}: the server answered ${response.status}`);
  }
  if (offset > 0 && response.status !== 206) offset = 0; // Range ignored or file changed: all of it
  if (response.status === 206 && rangeStart(response) !== offset) {
    await response.body?.cancel();
    await store.delete(key);
    return 'restart';
  }
  const served = servedFile(response, offset);
  const total = served.size ?? 0;
  if (options.expectedSize !== undefined && total > 0 && total !== options.expectedSize) {
    await response.body?.cancel();
    throw modelError(
      'corrupt-file',
      `${file} is ${total} bytes on the server where ${options.expectedSize} were expected`,
    );
  }
  const keep = offset > 0 ? meta : null; // a resumed file keeps what was said about it
  await store.setMeta(key, {
    ...(total > 0 ? { size: total } : keep?.size !== undefined && { size: keep.size }),
    ...((served.etag ?? keep?.etag) && { etag: served.etag ?? keep!.etag }),
    ...((served.commit ?? keep?.commit) && { commit: served.commit ?? keep!.commit }),
  });
  const writer = await store.writer(key, offset).catch((e: unknown) => {
    throw storageError(e, file);
  });
  const meter = speedMeter();
  let loaded = offset;
  let lastReport = 0;
  const interval = options.progressInterval ?? 100;
  const report = (force: boolean) => {
    const now = performance.now();
    if (!force && now - lastReport < interval) return;
    lastReport = now;
    options.onProgress?.({
      file,
      loaded,
      total: total || options.expectedSize || 0,
      bytesPerSecond: meter.rate(),
      fromCache: false,
    });
  };
  try {
    const reader = response.body!.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (total > 0 && loaded + value.byteLength > total) {
        await reader.cancel();
        throw modelError('corrupt-file', `${file} is longer than the ${total} bytes announced`);
      }
      await writer.write(value).catch((e: unknown) => {
        throw storageError(e, file);
      });
      loaded += value.byteLength;
      meter.add(value.byteLength);
      report(false);
    }
  } catch (e) {
    await writer.close().catch(() => {});
    throwIfAborted(signal);
    const code = (e as { code?: string }).code;
    if (code === 'corrupt-file') await store.delete(key);
    if (code === 'storage-full' || code === 'corrupt-file') throw e;
    // the connection broke: keep the partial file, the next try resumes from it
    throw modelError('network', `${file} stopped after ${loaded} bytes`, e);
  }
  await writer.close();
  report(true);
  if (total > 0 && loaded !== total) {
    // the body ended cleanly at another length than announced: the bytes cannot be trusted
    await store.delete(key);
    throw modelError('corrupt-file', `${file} ended after ${loaded} of ${total} bytes`);
  }
  await store.complete(key);
  return 'done';
}

/** First byte of a 206 response's Content-Range (NaN when absent). */
function rangeStart(response: Response): number {
  const m = /^bytes\s+(\d+)-/.exec(response.headers.get('Content-Range') ?? '');
  return m ? Number(m[1]) : NaN;
}

function storageError(e: unknown, file: string) {
  if ((e as DOMException)?.name === 'QuotaExceededError') {
    return modelError('storage-full', `${file} could not be saved`, e);
  }
  return e;
}

/** Bytes per second over roughly the last two seconds. */
function speedMeter() {
  const samples: { t: number; bytes: number }[] = [];
  return {
    add(bytes: number) {
      const t = performance.now();
      samples.push({ t, bytes });
      while (samples.length > 2 && t - samples[0]!.t > 2000) samples.shift();
    },
    rate(): number {
      if (samples.length < 2) return 0;
      const span = (samples[samples.length - 1]!.t - samples[0]!.t) / 1000;
      const bytes = samples.slice(1).reduce((n, s) => n + s.bytes, 0);
      return span > 0 ? bytes / span : 0;
    },
  };
}
