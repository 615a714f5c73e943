// A model package's files, wherever they come from: the Hub (downloaded into the persistent
// store, resumable, with progress), a URL path (the app's own public/ folder, or a folder the
// command line serves: fetched, not stored), or a folder the user picked. A Hub load pins one
// commit (the revision API) and takes every file's size and hash from the tree listing at that
// commit, so a package is checked against the device before its bytes come, a cached copy that is
// still the listed file is used without a download (a file unchanged by a new commit too), and
// every downloaded file is checked against its hash. Offline, a package whose files are all cached
// loads from the cache. Then ONNX Runtime sessions on them, with plain errors.

import { downloadFile, storedCopy, type DownloadProgress, type Expected } from './download.ts';
import { modelError } from './errors.ts';
import { listTree, pinCommit, probeFile, type HubFile } from './hub.ts';
import {
  manifestFiles,
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
   * Called with the files' sizes (those known: all of a folder, a Hub package's from its listing
   * or the cache) before anything is downloaded; throw to stop (a model too large for the device).
   */
  beforeDownload?(sizes: ReadonlyMap<string, number>): void;
  /** For tests and Node: the fetch to use and the origin that URL paths are relative to. */
  readonly fetch?: typeof fetch;
  readonly origin?: string;
  /**
   * Files loaded (and cached) like the others when the package has them, left out when it does
   * not (e.g. `tokenizer_config.json`).
   */
  readonly optional?: readonly string[];
}

/** Every file of `manifest` in `variant`, by path. */
export async function loadPackageFiles(
  manifest: ModelManifest,
  variant: DtypeVariant,
  options: LoadOptions,
): Promise<Map<string, Blob>> {
  const { source } = manifest;
  const required = manifestFiles(manifest, variant);
  const optional = new Set((options.optional ?? []).filter((p) => !required.includes(p)));
  // optional files first: once every required file of a commit is stored, the optional ones it
  // has are stored too, so a later load from that commit knows the rest are absent
  let paths = [...optional, ...required];
  if (source.kind === 'folder') {
    paths = paths.filter((p) => !optional.has(p) || source.files.has(p));
    return folderFiles(source, paths, options);
  }
  const store = isRemote(source) ? options.store : new MemoryStore();
  const keyOf = (p: string) => `${sourceKey(source)}/${p}`;
  const retry = {
    ...(options.fetch && { fetch: options.fetch }),
    ...(options.signal && { signal: options.signal }),
  };
  // what each file must be: from the Hub's listing at the pinned commit (or, without the API,
  // sizes from the resolve URLs; offline, what the cache recorded)
  let expected = new Map<string, Expected>(paths.map((p) => [p, {}]));
  let pinned: PackageSource = source;
  if (source.kind === 'hub') {
    const commit = await pinCommit(source, retry);
    if (commit) pinned = { ...source, revision: commit };
    // every file already stored from this commit: what was recorded with them is the listing
    const recorded = commit ? await fromCommit(store, paths, keyOf, optional, commit) : null;
    const tree = commit && !recorded ? await listTree(source, commit, retry) : null;
    if (recorded) {
      paths = paths.filter((p) => recorded.has(p));
      expected = recorded;
    } else if (tree) {
      paths = paths.filter((p) => !optional.has(p) || tree.has(p));
      expected = new Map(
        paths.map((p) => {
          const f: HubFile | undefined = tree.get(p);
          if (!f) throw modelError('missing-file', `${p} is not in ${source.repo} at ${commit}`);
          const { size, sha256, oid } = f;
          return [p, { size, commit: commit!, ...(sha256 && { sha256 }), ...(oid && { oid }) }];
        }),
      );
    } else {
      const cached = await Promise.all(paths.map((p) => storedCopy(store, keyOf(p), {})));
      if (cached.some((c, i) => c === null && !optional.has(paths[i]!))) {
        // no listing: the sizes from the resolve URLs (Range: bytes=0-0), as the JS clients do
        const probed = await Promise.all(
          paths.map((p) =>
            probeFile(fileUrl(pinned, p, options.origin)!, p, retry).catch((e: unknown) => {
              if (optional.has(p) && (e as { code?: string }).code === 'missing-file') {
                return 'absent' as const;
              }
              throw e;
            }),
          ),
        );
        if (probed.some((x) => x === null) && !commit) {
          throw modelError('network', `${source.repo} could not be reached and is not cached`);
        }
        paths = paths.filter((_, i) => probed[i] !== 'absent');
        const found = probed.filter((x) => x !== 'absent');
        // a small file answered by the Hub itself names the commit (X-Repo-Commit): take the
        // others from it too
        const seen = commit ?? found.find((x) => x?.commit)?.commit;
        if (seen) pinned = { ...source, revision: seen };
        expected = new Map(
          paths.map((p, i) => {
            const x = found[i];
            return [
              p,
              { ...(x?.size !== undefined && { size: x.size }), ...(seen && { commit: seen }) },
            ];
          }),
        );
      }
    }
  }
  const sizes = new Map<string, number>();
  for (const p of paths) {
    const size = expected.get(p)?.size ?? (await store.read(keyOf(p)))?.size;
    if (size !== undefined) sizes.set(p, size);
  }
  options.beforeDownload?.(sizes);
  const packageTotal =
    sizes.size === paths.length ? [...sizes.values()].reduce((a, b) => a + b, 0) : 0;
  let done = 0;
  const out = new Map<string, Blob>();
  for (const [fileIndex, path] of paths.entries()) {
    options.signal?.throwIfAborted();
    const blob = await downloadFile(fileUrl(pinned, path, options.origin)!, keyOf(path), store, {
      file: path,
      expected: expected.get(path) ?? {},
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
    }).catch((e: unknown) => {
      // an optional file a server without a listing does not have
      if (optional.has(path) && (e as { code?: string }).code === 'missing-file') return null;
      throw e;
    });
    if (!blob) continue;
    done += blob.size;
    out.set(path, blob);
  }
  return out;
}

/**
 * What was recorded with each stored file when every required one is a complete, checked copy
 * from `commit` (else null); optional files not stored from it are not in the package (they are
 * fetched before the required ones).
 */
async function fromCommit(
  store: ModelStore,
  paths: readonly string[],
  keyOf: (path: string) => string,
  optional: ReadonlySet<string>,
  commit: string,
): Promise<Map<string, Expected> | null> {
  const out = new Map<string, Expected>();
  for (const path of paths) {
    const key = keyOf(path);
    const [blob, meta] = await Promise.all([store.read(key), store.meta(key)]);
    const ok =
      blob != null &&
      meta?.commit === commit &&
      meta.size === blob.size &&
      (meta.sha256 !== undefined || meta.oid !== undefined); // checked against the listing
    if (!ok) {
      if (optional.has(path)) continue;
      return null;
    }
    const { size, sha256, oid } = meta;
    out.set(path, { size, commit, ...(sha256 && { sha256 }), ...(oid && { oid }) });
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
