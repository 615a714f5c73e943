// A model package's files, wherever they come from: the Hub (downloaded into the persistent
// store, resumable, with progress), a URL path (the app's public/ folder: fetched, not stored),
// or a folder the user picked. Then ONNX Runtime sessions on them, with plain errors.

import { downloadFile, type DownloadProgress } from './download.ts';
import { modelError } from './errors.ts';
import {
  manifestFiles,
  variantPaths,
  type DtypeVariant,
  type ModelManifest,
  type OnnxModelFile,
} from './manifest.ts';
import type { Ort, OrtSession } from './ort.ts';
import { fileUrl, isRemote, sourceKey } from './source.ts';
import { MemoryStore, type ModelStore } from './store.ts';

export interface LoadOptions {
  /** Where Hub files are cached (OPFS in the browser). */
  readonly store: ModelStore;
  readonly signal?: AbortSignal;
  onProgress?(p: DownloadProgress & { readonly fileIndex: number; readonly files: number }): void;
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
  const out = new Map<string, Blob>();
  for (const [fileIndex, path] of paths.entries()) {
    options.signal?.throwIfAborted();
    if (source.kind === 'folder') {
      const blob = source.files.get(path);
      if (!blob) throw modelError('missing-file', `${path} is not in the folder "${source.name}"`);
      out.set(path, blob);
      options.onProgress?.({
        file: path,
        loaded: blob.size,
        total: blob.size,
        bytesPerSecond: 0,
        fromCache: true,
        fileIndex,
        files: paths.length,
      });
      continue;
    }
    const url = fileUrl(source, path, options.origin)!;
    const store = isRemote(source) ? options.store : new MemoryStore();
    const blob = await downloadFile(url, `${sourceKey(source)}/${path}`, store, {
      file: path,
      ...(options.signal && { signal: options.signal }),
      ...(options.fetch && { fetch: options.fetch }),
      onProgress: (p) => options.onProgress?.({ ...p, fileIndex, files: paths.length }),
    });
    out.set(path, blob);
  }
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
