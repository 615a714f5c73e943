// Whether a model package fits this device, checked before any session is made and, for Hub
// packages, before anything is downloaded (the sizes come from HEAD requests). Two kinds of limit:
// - ONNX Runtime Web reads each model into WebAssembly memory: a .onnx file without external
//   data is one protobuf (at most 2 GiB), and a wasm32 memory holds at most 4 GiB (on wasm all
//   the sessions' weights share it; on WebGPU each session's weights pass through it on load);
// - on WebGPU each tensor is one GPUBuffer bound whole to a shader: the decoder's token
//   embedding table (vocab × hidden) and a prefill chunk's logits (chunk × vocab) must each fit
//   maxStorageBufferBindingSize and maxBufferSize.
// Estimates use the variant's element size; they are lower bounds, never guesses above the truth.

import { modelError } from './errors.ts';
import { manifestFiles, variantPaths, type DtypeVariant, type ModelManifest } from './manifest.ts';

export const GIB = 2 ** 30;
/** Largest protobuf (a .onnx file without external data). */
export const MAX_ONNX_FILE = 2 * GIB;
/** A wasm32 memory. */
export const MAX_WASM_MEMORY = 4 * GIB;

export interface FitTarget {
  readonly provider: 'webgpu' | 'wasm';
  /** The GPU device's limits (WebGPU only). */
  readonly limits?: {
    readonly maxStorageBufferBindingSize: number;
    readonly maxBufferSize: number;
  };
  /** Rows of a prefill chunk: the decoder returns [chunk, vocab] logits (default 256). */
  readonly prefillChunk?: number;
}

/** One thing that does not fit: what, how big, and the limit it exceeds. */
export interface FitProblem {
  readonly what: string;
  readonly bytes: number;
  readonly limit: number;
  readonly limitName: string;
}

/** Bytes per element of the token embedding table in a variant (MatMulNBits leaves it f32). */
const EMBEDDING_BYTES: Record<DtypeVariant, number> = {
  fp32: 4,
  q4: 4,
  bnb4: 4,
  fp16: 2,
  q4f16: 2,
  int8: 1,
  uint8: 1,
  quantized: 1,
};

/** Everything about `manifest` in `variant` that exceeds the target's limits (sizes: known ones). */
export function fitProblems(
  manifest: ModelManifest,
  variant: DtypeVariant,
  sizes: ReadonlyMap<string, number>,
  target: FitTarget,
): FitProblem[] {
  const problems: FitProblem[] = [];
  const models =
    manifest.kind === 'vlm'
      ? [manifest.files.visionEncoder, manifest.files.embedTokens, manifest.files.decoder]
      : [manifest.files.textModel, manifest.files.visionModel];
  for (const f of models) {
    const { model, data } = variantPaths(f, variant);
    const graph = sizes.get(model) ?? 0;
    if (graph > MAX_ONNX_FILE) {
      problems.push({
        what: `${model} (a model without external data)`,
        bytes: graph,
        limit: MAX_ONNX_FILE,
        limitName: 'the 2 GiB protobuf limit',
      });
    }
    const session = graph + (data ? (sizes.get(data) ?? 0) : 0);
    if (target.provider === 'webgpu' && session > MAX_WASM_MEMORY) {
      problems.push({
        what: `${model} with its weights`,
        bytes: session,
        limit: MAX_WASM_MEMORY,
        limitName: 'the 4 GiB of WebAssembly memory it is loaded through',
      });
    }
  }
  if (target.provider === 'wasm') {
    const all = manifestFiles(manifest, variant)
      .filter((p) => /\.onnx(_data)?$/.test(p))
      .reduce((n, p) => n + (sizes.get(p) ?? 0), 0);
    if (all > MAX_WASM_MEMORY) {
      problems.push({
        what: `the ${variant} weights of ${manifest.id}`,
        bytes: all,
        limit: MAX_WASM_MEMORY,
        limitName: 'the 4 GiB of WebAssembly memory the CPU backend runs in',
      });
    }
  }
  if (target.provider === 'webgpu' && target.limits && manifest.kind === 'vlm') {
    const { maxStorageBufferBindingSize: binding, maxBufferSize: buffer } = target.limits;
    const limit = Math.min(binding, buffer);
    const limitName = binding <= buffer ? 'maxStorageBufferBindingSize' : 'maxBufferSize';
    const { vocab } = manifest.decoder;
    const hidden = manifest.vision.hidden;
    const half = variant === 'fp16' || variant === 'q4f16';
    const tensors = [
      {
        what: `the token embedding table (${vocab} × ${hidden}, ${variant})`,
        bytes: vocab * hidden * EMBEDDING_BYTES[variant],
      },
      {
        what: `the logits of a ${target.prefillChunk ?? 256}-token prefill chunk (× ${vocab})`,
        bytes: (target.prefillChunk ?? 256) * vocab * (half ? 2 : 4),
      },
    ];
    for (const t of tensors) if (t.bytes > limit) problems.push({ ...t, limit, limitName });
  }
  return problems;
}

/** Throws `too-large` naming the first thing that does not fit. */
export function assertFits(
  manifest: ModelManifest,
  variant: DtypeVariant,
  sizes: ReadonlyMap<string, number>,
  target: FitTarget,
): void {
  const [p] = fitProblems(manifest, variant, sizes, target);
  if (!p) return;
  throw modelError(
    'too-large',
    `${manifest.title}: ${p.what} needs ${mib(p.bytes)}, over ${p.limitName} (${mib(p.limit)})`,
  );
}

function mib(bytes: number): string {
  return bytes >= GIB ? `${(bytes / GIB).toFixed(1)} GiB` : `${(bytes / 2 ** 20).toFixed(0)} MiB`;
}
