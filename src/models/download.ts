// Downloading one model file into the store: resumable (HTTP Range from what is already
// stored), with progress (bytes, percent, speed), cancellation, and an integrity check on size.
// A failed or cancelled download keeps its partial file so the next try resumes.

import { throwIfAborted } from '../worker/errors.ts';
import { modelError } from './errors.ts';
import type { ModelStore } from './store.ts';

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
  /** Size the package promises; a complete file of another size is corrupt. */
  readonly expectedSize?: number;
  readonly signal?: AbortSignal;
  onProgress?(p: DownloadProgress): void;
  /** For tests: the fetch to use. */
  readonly fetch?: typeof fetch;
  /** Minimum milliseconds between progress reports (default 100). */
  readonly progressInterval?: number;
}

/** The complete file at `url`, from the store if it is there, else downloaded into it. */
export async function downloadFile(
  url: string,
  key: string,
  store: ModelStore,
  options: DownloadOptions,
): Promise<Blob> {
  const { file, expectedSize, signal } = options;
  const cached = await store.read(key);
  if (cached) {
    if (expectedSize === undefined || cached.size === expectedSize) {
      options.onProgress?.({
        file,
        loaded: cached.size,
        total: cached.size,
        bytesPerSecond: 0,
        fromCache: true,
      });
      return cached;
    }
    await store.delete(key); // a damaged cached copy: fetch it again
  }
  for (let attempt = 0; ; attempt++) {
    throwIfAborted(signal);
    const outcome = await fetchInto(url, key, store, options);
    if (outcome === 'restart' && attempt < 2) continue;
    if (outcome === 'restart')
      throw modelError('network', `${file}: the server ignored resumption`);
    break;
  }
  const blob = await store.read(key);
  if (!blob) throw modelError('network', `${file} could not be stored`);
  if (expectedSize !== undefined && blob.size !== expectedSize) {
    await store.delete(key);
    throw modelError(
      'corrupt-file',
      `${file} has ${blob.size} bytes where ${expectedSize} were expected`,
    );
  }
  return blob;
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
  if (options.expectedSize !== undefined && offset > options.expectedSize) {
    await store.delete(key);
    offset = 0;
  }
  let response: Response;
  try {
    response = await doFetch(url, {
      signal,
      headers: offset > 0 ? { Range: `bytes=${offset}-` } : {},
    });
  } catch (e) {
    throwIfAborted(signal);
    throw modelError('network', `${file} (${(e as Error).message})`, e);
  }
  if (response.status === 404) throw modelError('missing-file', `${file} was not found at ${url}`);
  if (response.status === 416) {
    // What we hold is not a prefix of the file any more: start over.
    await store.delete(key);
    return 'restart';
  }
  if (!response.ok) {
    throw modelError('network', `${file}: the server answered ${response.status}`);
  }
  if (offset > 0 && response.status !== 206) offset = 0; // Range ignored: whole file follows
  const total = totalSize(response, offset);
  if (options.expectedSize !== undefined && total > 0 && total !== options.expectedSize) {
    throw modelError(
      'corrupt-file',
      `${file} is ${total} bytes on the server where ${options.expectedSize} were expected`,
    );
  }
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
    if ((e as { code?: string }).code === 'storage-full') throw e;
    throw modelError('network', `${file} stopped after ${loaded} bytes`, e);
  }
  await writer.close();
  report(true);
  if (total > 0 && loaded !== total) {
    throw modelError('network', `${file} stopped after ${loaded} of ${total} bytes`);
  }
  await store.complete(key);
  return 'done';
}

function totalSize(response: Response, offset: number): number {
  const range = response.headers.get('Content-Range');
  const m = range ? /\/(\d+)\s*$/.exec(range) : null;
  if (m) return Number(m[1]);
  const length = Number(response.headers.get('Content-Length') ?? 0);
  return length > 0 ? length + (response.status === 206 ? offset : 0) : 0;
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
