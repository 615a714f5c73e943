// Events the engine sends while it loads models: download progress with bytes, total, percent and
// speed (per file and for the whole package), and notices the page shows beside the work (the
// models on the CPU backend because WebGPU failed; a model cache that does not persist).

import type { PackageProgress } from '../models/loader.ts';
import { toErrorInfo } from '../core/errors.ts';
import type { DownloadStatus, PipelineEvent } from './types.ts';

/** A progress event for one file of a package being loaded. */
export function downloadEvent(model: string, p: PackageProgress): PipelineEvent {
  const download: DownloadStatus = {
    model,
    file: p.file,
    fileIndex: p.fileIndex,
    files: p.files,
    bytes: p.loaded,
    totalBytes: p.total,
    packageBytes: p.packageLoaded,
    packageTotalBytes: p.packageTotal,
    percent:
      p.packageTotal > 0
        ? (100 * p.packageLoaded) / p.packageTotal
        : p.total > 0
          ? (100 * p.loaded) / p.total
          : 0,
    bytesPerSecond: p.bytesPerSecond,
    fromCache: p.fromCache,
  };
  return {
    type: 'progress',
    stage: `${p.fromCache ? 'model' : 'downloading'} ${p.fileIndex + 1}/${p.files}: ${p.file}`,
    done: p.loaded,
    total: p.total,
    download,
  };
}

/** The notice that the GPU device was lost and this question runs on a new one. */
export function deviceLostNotice(reason: unknown): PipelineEvent {
  return {
    type: 'notice',
    code: 'device-lost',
    message:
      'The GPU device was lost (a driver reset or a crashed GPU process): this question runs on ' +
      'a new device, with the models loaded and the video encoded again.',
    reason: reason ? toErrorInfo(reason) : null,
  };
}

/** The notice that the models run on ONNX Runtime's CPU backend because WebGPU failed. */
export function wasmFallbackNotice(reason: unknown): PipelineEvent {
  const info = toErrorInfo(reason);
  return {
    type: 'notice',
    code: 'wasm-fallback',
    message:
      'WebGPU is not available, so the models run on the CPU (ONNX Runtime wasm): answers ' +
      `come much more slowly. ${info.message}`,
    reason: info,
  };
}

/** The notice that downloaded models will not be kept (no OPFS in this browser). */
export function volatileCacheNotice(): PipelineEvent {
  return {
    type: 'notice',
    code: 'cache-not-persistent',
    message:
      'This browser gives no persistent storage to the page: downloaded models are kept only ' +
      'until it is closed.',
    reason: null,
  };
}
