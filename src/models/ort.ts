// ONNX Runtime Web, configured once. The webgpu bundle carries both the WebGPU execution provider
// (used on our own GPUDevice) and the wasm CPU provider (the fallback, and what Node tests use).
// In the browser its .wasm is served as a Vite asset; in Node it loads from node_modules.

import * as ort from 'onnxruntime-web/webgpu';
import wasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';

let configured = false;

/** The ort namespace, configured for this environment. */
export function onnxRuntime(): typeof ort {
  if (!configured) {
    configured = true;
    const inBrowser = typeof location !== 'undefined' && /^https?:/.test(location.protocol);
    if (inBrowser) ort.env.wasm.wasmPaths = { wasm: new URL(wasmUrl, location.href).href };
    const threads = typeof navigator !== 'undefined' ? (navigator.hardwareConcurrency ?? 1) : 1;
    const isolated = typeof crossOriginIsolated !== 'undefined' && crossOriginIsolated;
    ort.env.wasm.numThreads = inBrowser && isolated ? Math.min(4, Math.max(1, threads)) : 1;
    ort.env.logLevel = 'error';
  }
  return ort;
}

export type Ort = typeof ort;
export type OrtTensor = ort.Tensor;
export type OrtSession = ort.InferenceSession;
