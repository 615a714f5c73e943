// Downloading one model file into the store, as the Hub's clients do from a web page: from a URL
// pinned to a commit (its bytes never change), with a plain `Range: bytes=N-` and nothing else (no
// If-Range, no custom header: storage refuses the CORS preflight those need). A dropped
// connection resumes by itself from the bytes already stored (a few tries with backoff, a 429's
// Retry-After honoured); only a server that ignores the range (200 to a ranged request) makes it
// start over. The file's size is what the Hub listed (or a 206's Content-Range), never a
// Content-Length, which may be of a compressed body. When complete, the file is hashed from the
// store, streamed (SHA-256 of an LFS file, the git blob id of a small one) and `corrupt-file` is
// said only when the bytes are not the listed ones. Progress (bytes, total, speed), cancellation;
// a failed or cancelled download keeps its partial file so that the next try resumes.

import { sha256 } from '@noble/hashes/sha2.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { throwIfAborted } from '../core/errors.ts';
import { modelError } from './errors.ts';
import { accessError, retryDelay, sleep, transient } from './http.ts';
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

/** What the package lists about a file: a stored copy must be this. */
export interface Expected {
  /** Bytes of the whole file. */
  readonly size?: number;
  /** SHA-256 of the bytes, hex (an LFS file). */
  readonly sha256?: string;
  /** Git blob id, hex (a small file kept in git). */
  readonly oid?: string;
  /** The commit the file is taken from (recorded with it). */
  readonly commit?: string;
}

export interface DownloadOptions {
  /** The file's path in its package, for progress and messages. */
  readonly file: string;
  readonly expected?: Expected;
  readonly signal?: AbortSignal;
  onProgress?(p: DownloadProgress): void;
  /** For tests: the fetch to use. */
  readonly fetch?: typeof fetch;
  /** Minimum milliseconds between progress reports (default 100). */
  readonly progressInterval?: number;
  /** Tries without progress before giving up (default 5); a try that brought bytes resets it. */
  readonly tries?: number;
  /** First backoff in ms, doubled per failed try (default 250). */
  readonly backoffMs?: number;
}

/** The complete file at `url`, from the store if it is there as listed, else downloaded into it. */
export async function downloadFile(
  url: string,
  key: string,
  store: ModelStore,
  options: DownloadOptions,
): Promise<Blob> {
  const { file } = options;
  const cached = await storedCopy(store, key, options.expected ?? {});
  if (cached) {
    const size = cached.size;
    options.onProgress?.({ file, loaded: size, total: size, bytesPerSecond: 0, fromCache: true });
    return cached;
  }
  if (await store.read(key)) await store.delete(key); // a damaged or out-of-date complete copy
  return fetchInto(url, key, store, options);
}

/**
 * The complete copy under `key` when it is the file `expected` lists, else null. A copy checked
 * at download (its recorded hash the listed one) is taken as it is; one of the old scheme (an ETag
 * recorded, no hash) is hashed once now and kept when it matches.
 */
export async function storedCopy(
  store: ModelStore,
  key: string,
  expected: Expected,
): Promise<Blob | null> {
  const blob = await store.read(key);
  if (!blob) return null;
  const meta = (await store.meta(key)) ?? {};
  const size = expected.size ?? meta.size;
  if (size !== undefined && blob.size !== size) return null;
  const hash = expected.sha256 ? 'sha256' : expected.oid ? 'oid' : null;
  if (hash) {
    const want = expected[hash]!;
    if (meta[hash] !== want) {
      if (meta[hash] !== undefined) return null; // checked against another version
      if ((await digest(blob, hash)) !== want) return null;
    }
  }
  if (expected.commit && meta.commit !== expected.commit) {
    await store.setMeta(key, { ...meta, ...expected, size: blob.size, etag: undefined });
  } else if (hash && meta[hash] === undefined) {
    await store.setMeta(key, { ...meta, ...expected, size: blob.size });
  }
  return blob;
}

/** The hex digest of `blob` that the Hub lists: SHA-256, or the git blob id. Streamed. */
export async function digest(blob: Blob, kind: 'sha256' | 'oid'): Promise<string> {
  const h = kind === 'sha256' ? sha256.create() : sha1.create();
  if (kind === 'oid') h.update(new TextEncoder().encode(`blob ${blob.size}\0`));
  const reader = blob.stream().getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    h.update(value);
  }
  return bytesToHex(h.digest());
}

/** What one request of a download came to. */
type Try =
  | { readonly kind: 'done' }
  | { readonly kind: 'again'; readonly wait: number; readonly progressed: boolean };

async function fetchInto(
  url: string,
  key: string,
  store: ModelStore,
  options: DownloadOptions,
): Promise<Blob> {
  const { file, signal } = options;
  const expected = options.expected ?? {};
  // a partial file of another version of this file cannot be continued
  const meta = await store.meta(key);
  const same = (k: 'sha256' | 'oid' | 'size') =>
    expected[k] === undefined || meta?.[k] === undefined || meta[k] === expected[k];
  // a partial file of the old scheme (an ETag, no hash): continued only when its ETag is the
  // listed hash (the Hub's ETag of a file is its SHA-256 or git blob id)
  const legacy = meta?.etag !== undefined && meta.sha256 === undefined && meta.oid === undefined;
  const listed = expected.sha256 ?? expected.oid;
  const etag = meta?.etag?.replace(/^W\//, '').replace(/"/g, '');
  const sameVersion = legacy
    ? listed === undefined || etag === listed
    : same('sha256') && same('oid') && same('size');
  if ((await store.partialSize(key)) > 0 && !sameVersion) await store.delete(key);
  const record: EntryMeta = { ...expected };
  await store.setMeta(key, record);
  const meter = speedMeter();
  const state = { total: expected.size, lastReport: 0 };
  const tries = options.tries ?? 5;
  let failed = 0;
  let last: unknown = null;
  for (;;) {
    throwIfAborted(signal);
    let outcome: Try;
    try {
      outcome = await oneTry(url, key, store, options, state, meter);
    } catch (e) {
      throwIfAborted(signal);
      const code = (e as { code?: string }).code;
      if (code !== 'network') throw e;
      last = e;
      outcome = {
        kind: 'again',
        wait: -1,
        progressed: (e as { progressed?: boolean }).progressed!,
      };
    }
    if (outcome.kind === 'done') break;
    failed = outcome.progressed ? 1 : failed + 1;
    if (failed >= tries) {
      const have = await store.partialSize(key);
      const of = state.total !== undefined ? ` of ${state.total}` : '';
      const why = last ? ` (${(last as Error).message})` : '';
      throw modelError('network', `${file} stopped after ${have}${of} bytes${why}`, last);
    }
    const wait = outcome.wait >= 0 ? outcome.wait : retryDelay(failed - 1, null, options.backoffMs);
    await sleep(wait, signal);
  }
  const part = await store.readPartial(key);
  if (!part) throw modelError('network', `${file} could not be stored`);
  const hash = expected.sha256 ? 'sha256' : expected.oid ? 'oid' : null;
  if (hash) {
    const got = await digest(part, hash);
    if (got !== expected[hash]) {
      await store.delete(key);
      const name = hash === 'sha256' ? 'SHA-256' : 'git blob id';
      throw modelError(
        'corrupt-file',
        `${file}: its ${name} is ${got} where the Hub lists ${expected[hash]}`,
      );
    }
  }
  if (record.size === undefined) await store.setMeta(key, { ...record, size: part.size });
  await store.complete(key);
  const blob = await store.read(key);
  if (!blob) throw modelError('network', `${file} could not be stored`);
  return blob;
}

/** One request: the rest of the file from what is stored, appended to the partial file. */
async function oneTry(
  url: string,
  key: string,
  store: ModelStore,
  options: DownloadOptions,
  state: { total: number | undefined; lastReport: number },
  meter: ReturnType<typeof speedMeter>,
): Promise<Try> {
  const { file, signal } = options;
  let offset = await store.partialSize(key);
  if (state.total !== undefined && offset > state.total) {
    await store.delete(key); // longer than the file: not a prefix of it
    await store.setMeta(key, { ...options.expected });
    offset = 0;
  }
  if (state.total !== undefined && offset === state.total && offset > 0) return { kind: 'done' };
  // a plain Range, the only header: CORS-safelisted, so storage needs no preflight
  const headers: Record<string, string> = offset > 0 ? { Range: `bytes=${offset}-` } : {};
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(url, { headers, ...(signal && { signal }) });
  } catch (e) {
    throwIfAborted(signal);
    throw Object.assign(modelError('network', `${file} (${(e as Error).message})`, e), {
      progressed: false,
    });
  }
  if (response.status === 404) throw modelError('missing-file', `${file} was not found at ${url}`);
  if (response.status === 401 || response.status === 403) {
    throw accessError(response.status, file, url);
  }
  if (response.status === 416 && offset > 0) {
    await store.delete(key); // what we hold is not a prefix of the file: start over
    await store.setMeta(key, { ...options.expected });
    return { kind: 'again', wait: 0, progressed: true };
  }
  if (transient(response.status)) {
    await response.body?.cancel().catch(() => {});
    const retryAfter = response.headers.has('Retry-After') ? retryDelay(0, response) : -1;
    return { kind: 'again', wait: retryAfter, progressed: false };
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => {});
    throw modelError('network', `${file}: the server answered ${response.status}`);
  }
  if (response.status === 206) {
    const range = /^bytes\s+(\d+)-\d+\/(\d+|\*)/.exec(response.headers.get('Content-Range') ?? '');
    const start = range ? Number(range[1]) : NaN;
    const whole = range && range[2] !== '*' ? Number(range[2]) : undefined;
    if (start !== offset) {
      await response.body?.cancel().catch(() => {});
      await store.delete(key);
      await store.setMeta(key, { ...options.expected });
      return { kind: 'again', wait: 0, progressed: true };
    }
    if (whole !== undefined && state.total !== undefined && whole !== state.total) {
      await response.body?.cancel().catch(() => {});
      await store.delete(key);
      throw modelError(
        'corrupt-file',
        `${file} is ${whole} bytes on the server where ${state.total} are listed`,
      );
    }
    state.total ??= whole;
  } else if (offset > 0) {
    offset = 0; // the server ignored the range: this body is the whole file, from its start
  }
  // the size is the listing's (or Content-Range's); a Content-Length may be of a compressed body
  const writer = await store.writer(key, offset).catch((e: unknown) => {
    throw storageError(e, file);
  });
  let loaded = offset;
  const interval = options.progressInterval ?? 100;
  const report = (force: boolean) => {
    const now = performance.now();
    if (!force && now - state.lastReport < interval) return;
    state.lastReport = now;
    options.onProgress?.({
      file,
      loaded,
      total: state.total ?? 0,
      bytesPerSecond: meter.rate(),
      fromCache: false,
    });
  };
  try {
    const reader = response.body!.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (state.total !== undefined && loaded + value.byteLength > state.total) {
        await reader.cancel().catch(() => {});
        throw modelError('corrupt-file', `${file} is longer than the ${state.total} bytes listed`);
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
    // the connection broke: keep what came, the next try resumes from it
    throw Object.assign(modelError('network', `${file} stopped after ${loaded} bytes`, e), {
      progressed: loaded > offset,
    });
  }
  await writer.close();
  report(true);
  // a body that ended cleanly short of the listed size was cut too: resume from what came
  if (state.total !== undefined && loaded < state.total) {
    return { kind: 'again', wait: -1, progressed: loaded > offset };
  }
  return { kind: 'done' };
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
