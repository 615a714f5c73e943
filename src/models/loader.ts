// A model package's files, wherever they come from: the Hub (downloaded into the persistent
// store, resumable, with progress), a URL path (the app's public/ folder, or a folder the command
// line serves: fetched, not stored), or a folder the user picked. Hub files are asked about first
// (HEAD: sizes, ETags, the commit) unless all of them are cached intact, so a package is checked
// against the device before its bytes come, and one load takes every file from one commit. Then
// ONNX Runtime sessions on them, with plain errors.

import { downloadFile, type DownloadProgress, type ServedFile } from './download.ts';
import { modelError } from './errors.ts';
import { headFile } from './hub.ts';
import {
  manifestFiles,
  optionalFiles,
  variantPaths,
  type DtypeVariant,
  type ModelManifest,
  type OnnxModelFile,
} from './manifest.ts';
import type { Ort, OrtSession } from './ort.ts';
import { fileUrl, isRemote, sourceKey, type PackageSource } from './source.ts';
import { MemoryStore, type ModelStore } from './store.ts';

/** Progress of one file of a package, and of the package as a whole. */
export interface PackageProgress extends DownloadProgress {
  readonly fileIndex: number;
  readonly files: number;
  /** Bytes of the package done (cached files count as done). */
  readonly packageLoaded: number;
  /** Bytes of the whole package; 0 while some file's size is unknown. */
  readonly packageTotal: number;
}

export interface LoadOptions {
  /** Where Hub files are cached (OPFS in the browser). */
  readonly store: ModelStore;
  readonly signal?: AbortSignal;
  onProgress?(p: PackageProgress): void;
  /**
   * Called with the files' sizes (those known: all of a folder, a Hub package's from HEAD or the
   * cache) before anything is downloaded; throw to stop (a model too large for the device).
   */
  beforeDownload?(sizes: ReadonlyMap<string, number>): void;
  /** For tests and Node: the fetch to use and the origin that URL paths are relative to. */
  readonly fetch?: typeof fetch;
  readonly origin?: string;
}

/** Every file of `manifest` in `variant`, by path. */
export async function loadPackageFiles(
  manifest: ModelManifest,
  variant: DtypeVariant,
  options: LoadOptions,
): Promise<Map<string, Blob>> {
  const { source } = manifest;
  const paths = manifestFiles(manifest, variant);
  if (source.kind === 'folder') return folderFiles(source, paths, options);
  const store = isRemote(source) ? options.store : new MemoryStore();
  const keys = paths.map((p) => `${sourceKey(source)}/${p}`);
  const cached = await Promise.all(keys.map((k) => intactSize(store, k)));
  // Hub packages not wholly cached: ask about every file first (sizes for the device check and
  // the progress bar, ETags that tell an out-of-date cached copy, the commit to take them from)
  const heads: (ServedFile | null)[] =
    isRemote(source) && cached.some((c) => c === null)
      ? await Promise.all(
          paths.map((p) =>
            headFile(fileUrl(source, p, options.origin)!, p, {
              ...(options.fetch && { fetch: options.fetch }),
              ...(options.signal && { signal: options.signal }),
            }),
          ),
        )
      : paths.map(() => null);
  const sizes = new Map<string, number>();
  paths.forEach((p, i) => {
    const size = heads[i]?.size ?? cached[i] ?? undefined;
    if (size !== undefined) sizes.set(p, size);
  });
  options.beforeDownload?.(sizes);
  const commit = heads.find((h) => h?.commit)?.commit;
  const pinned: PackageSource =
    source.kind === 'hub' && commit ? { ...source, revision: commit } : source;
  const packageTotal =
    sizes.size === paths.length ? [...sizes.values()].reduce((a, b) => a + b, 0) : 0;
  let done = 0;
  const out = new Map<string, Blob>();
  for (const [fileIndex, path] of paths.entries()) {
    options.signal?.throwIfAborted();
    const head = heads[fileIndex];
    const blob = await downloadFile(
      fileUrl(pinned, path, options.origin)!,
      keys[fileIndex]!,
      store,
      {
        file: path,
        ...(head?.size !== undefined && { expectedSize: head.size }),
        ...(head?.etag !== undefined && { expectedEtag: head.etag }),
        ...(options.signal && { signal: options.signal }),
        ...(options.fetch && { fetch: options.fetch }),
        onProgress: (p) =>
          options.onProgress?.({
            ...p,
            fileIndex,
            files: paths.length,
            packageLoaded: done + p.loaded,
            packageTotal,
          }),
      },
    );
    done += blob.size;
    out.set(path, blob);
  }
  return out;
}

/**
 * The optional files of `manifest` it has (manifest.ts: optionalFiles; a package may lack any of
 * them): from a folder as they are; from the Hub through the store like the package's files (a
 * missing one is skipped, a cached one needs no network); from a URL path fetched, a page served
 * in place of a missing file (an SPA fallback, text/html) not taken for it.
 */
export async function loadOptionalFiles(
  manifest: ModelManifest,
  options: LoadOptions,
): Promise<Map<string, Blob>> {
  const { source } = manifest;
  const out = new Map<string, Blob>();
  for (const path of optionalFiles(manifest)) {
    options.signal?.throwIfAborted();
    if (source.kind === 'folder') {
      const blob = source.files.get(path);
      if (blob) out.set(path, blob);
      continue;
    }
    const url = fileUrl(source, path, options.origin);
    if (!url) continue;
    if (isRemote(source)) {
      const blob = await downloadFile(url, `${sourceKey(source)}/${path}`, options.store, {
        file: path,
        ...(options.signal && { signal: options.signal }),
        ...(options.fetch && { fetch: options.fetch }),
      }).catch((e: unknown) => {
        if (options.signal?.aborted) throw e;
        return null; // absent (404) or unreachable: the package goes on without it
      });
      if (blob) out.set(path, blob);
      continue;
    }
    const r = await (options.fetch ?? fetch)(url, {
      ...(options.signal && { signal: options.signal }),
    }).catch(() => null);
    options.signal?.throwIfAborted();
    const page = /text\/html/.test(r?.headers.get('content-type') ?? '');
    if (r?.ok && !page) out.set(path, await r.blob());
  }
  return out;
}

function folderFiles(
  source: Extract<PackageSource, { kind: 'folder' }>,
  paths: readonly string[],
  options: LoadOptions,
): Map<string, Blob> {
  const out = new Map<string, Blob>();
  for (const path of paths) {
    const blob = source.files.get(path);
    if (!blob) throw modelError('missing-file', `${path} is not in the folder "${source.name}"`);
    out.set(path, blob);
  }
  options.beforeDownload?.(new Map([...out].map(([p, b]) => [p, b.size])));
  const packageTotal = [...out.values()].reduce((n, b) => n + b.size, 0);
  let done = 0;
  [...out].forEach(([file, blob], fileIndex) => {
    done += blob.size;
    options.onProgress?.({
      file,
      loaded: blob.size,
      total: blob.size,
      bytesPerSecond: 0,
      fromCache: true,
      fileIndex,
      files: paths.length,
      packageLoaded: done,
      packageTotal,
    });
  });
  return out;
}

/** Size of the complete cached file under `key` when it is intact (its recorded size), else null. */
async function intactSize(store: ModelStore, key: string): Promise<number | null> {
  const blob = await store.read(key);
  if (!blob) return null;
  const meta = await store.meta(key);
  return meta?.size === undefined || meta.size === blob.size ? blob.size : null;
}

export interface SessionOptions {
  /** `webgpu` on our own device (kept tokens and the KV cache stay on it), or `wasm`. */
  readonly provider: 'webgpu' | 'wasm';
  readonly device?: GPUDevice;
  /** Outputs left on the GPU (names), on webgpu. */
  readonly gpuOutputs?: readonly string[];
}

/** An inference session for one ONNX model of a loaded package. */
export async function createSession(
  ort: Ort,
  files: Map<string, Blob>,
  file: OnnxModelFile,
  variant: DtypeVariant,
  options: SessionOptions,
): Promise<OrtSession> {
  const { model, data } = variantPaths(file, variant);
  const blob = files.get(model);
  if (!blob) throw modelError('missing-file', `${model} was not loaded`);
  const dataBlob = data ? files.get(data) : undefined;
  if (data && !dataBlob) throw modelError('missing-file', `${data} was not loaded`);
  const session: Record<string, unknown> = {
    executionProviders:
      options.provider === 'webgpu'
        ? [{ name: 'webgpu', ...(options.device && { device: options.device }) }]
        : ['wasm'],
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3, // errors only: ORT's placement notes are not for the console
  };
  if (options.provider === 'webgpu' && options.gpuOutputs?.length) {
    session.preferredOutputLocation = Object.fromEntries(
      options.gpuOutputs.map((n) => [n, 'gpu-buffer']),
    );
  }
  if (data && dataBlob) {
    session.externalData = [
      { path: data.split('/').pop()!, data: new Uint8Array(await dataBlob.arrayBuffer()) },
    ];
  }
  try {
    return await ort.InferenceSession.create(
      new Uint8Array(await blob.arrayBuffer()),
      session as Parameters<Ort['InferenceSession']['create']>[1],
    );
  } catch (e) {
    const message = (e as Error).message ?? String(e);
    // WebGPU refuses buffers beyond the device's limits; ORT reports it while creating the session
    if (/out of memory|maxBufferSize|maxStorageBufferBindingSize|buffer size/i.test(message)) {
      throw modelError('too-large', `${model} (${message})`, e);
    }
    throw modelError('bad-model', `${model}: ${message}`, e);
  }
}
