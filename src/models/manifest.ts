// Model packages: what the pipeline needs to know about a model, with its files named by role.
// A manifest is data; the registry (registry.ts) maps real Hub models and our own packages
// (public/models/…) onto it. Sources: each model's config.json / preprocessor_config.json and
// MODELS.md; where a fact was checked against the export, the registry says so.

import type { ImageSpec } from './preprocess.ts';
import type { PackageSource } from './source.ts';

/** ONNX weight variants as the Hub exports name them (`decoder_model_merged_q4.onnx`, …). */
export type DtypeVariant =
  'fp32' | 'fp16' | 'q4' | 'q4f16' | 'int8' | 'uint8' | 'bnb4' | 'quantized';

const SUFFIX: Record<DtypeVariant, string> = {
  fp32: '',
  fp16: '_fp16',
  q4: '_q4',
  q4f16: '_q4f16',
  int8: '_int8',
  uint8: '_uint8',
  bnb4: '_bnb4',
  quantized: '_quantized',
};

/** Variants whose tensors are f16 and need `shader-f16` on WebGPU. */
export const F16_VARIANTS: ReadonlySet<DtypeVariant> = new Set(['fp16', 'q4f16']);

/** One ONNX model of a package: its path without variant suffix and extension. */
export interface OnnxModelFile {
  /** e.g. `onnx/decoder_model_merged` */
  readonly base: string;
  /**
   * The weights live in `<file>.onnx_data` beside it (large exports): `true` for every variant,
   * or the variants that have it (often only the big fp32 one).
   */
  readonly externalData?: boolean | readonly DtypeVariant[];
}

/** Which weight variant to load, by where the sessions run (see `chooseVariant`). */
export interface VariantChoice {
  /** On ONNX Runtime's wasm (CPU) provider: integer-quantized weights run well there. */
  readonly wasm: DtypeVariant;
  /** On WebGPU without `shader-f16`: never an f16 variant. */
  readonly webgpu: DtypeVariant;
  /** On WebGPU with `shader-f16`. */
  readonly webgpuF16: DtypeVariant;
  readonly available: readonly DtypeVariant[];
}

/** Where sessions will run, as far as the variant choice cares. */
export interface VariantTarget {
  readonly provider: 'webgpu' | 'wasm';
  /** The device has `shader-f16` (WebGPU only). */
  readonly hasF16: boolean;
}

/**
 * A vision tower's size, for the per-frame memory estimate of encoding (src/vlm/encode-plan.ts):
 * the tensors one frame puts in a GPU buffer grow with these.
 */
export interface EncoderSize {
  /** Tokens inside the tower (patches of a frame). */
  readonly patches: number;
  readonly width: number;
  /** Attention heads; 0 for a tower without attention. */
  readonly heads: number;
  readonly mlp: number;
  /**
   * `unfused`: the export computes attention as MatMul → Softmax → MatMul, so the scores
   * [heads, patches, patches] are one tensor; `fused`: an attention op that never holds them.
   */
  readonly attention: 'unfused' | 'fused';
}

export interface VlmManifest {
  readonly kind: 'vlm';
  readonly id: string;
  readonly title: string;
  readonly source: PackageSource;
  readonly files: {
    readonly visionEncoder: OnnxModelFile;
    readonly embedTokens: OnnxModelFile;
    readonly decoder: OnnxModelFile;
    readonly tokenizer: string;
  };
  readonly variants: VariantChoice;
  /** How a frame becomes `pixel_values` (and the pixel mask when `pixelMask`). */
  readonly image: ImageSpec;
  readonly pixelMask: boolean;
  readonly vision: {
    /** N and its grid: tokens one frame gives the language model. */
    readonly tokensPerFrame: number;
    readonly grid: readonly [number, number];
    /** D: width of a vision token (the language model's hidden size). */
    readonly hidden: number;
    /** The tower's size, when known (else only its input and output count per frame). */
    readonly encoder?: EncoderSize;
  };
  readonly decoder: {
    readonly layers: number;
    readonly heads: number;
    readonly kvHeads: number;
    /** MLP width (for the prefill FLOPs estimate). */
    readonly intermediate: number;
    readonly headDim: number;
    readonly vocab: number;
    /** Input names of the past cache, `{i}` the layer: `past_key_values.{i}.key`. */
    readonly pastKey: string;
    readonly pastValue: string;
    readonly presentKey: string;
    readonly presentValue: string;
  };
  readonly tokens: {
    readonly bos: number | null;
    /** Generation stops at any of these. */
    readonly eos: readonly number[];
    readonly pad: number;
    /** The image placeholder the kept tokens replace. */
    readonly image: number;
    /** Literal text of the placeholder and the per-frame wrapper, for the prompt builder. */
    readonly imageText: string;
    readonly frameStart: string;
    readonly frameEnd: string;
  };
}

export interface RelevanceManifest {
  readonly kind: 'relevance';
  readonly id: string;
  readonly title: string;
  readonly source: PackageSource;
  readonly files: {
    readonly textModel: OnnxModelFile;
    readonly visionModel: OnnxModelFile;
    readonly tokenizer: string;
    /** The learned predictor head (safetensors), when the package has one. */
    readonly head: string | null;
  };
  readonly variants: VariantChoice;
  readonly image: ImageSpec;
  /** The image tower's size, when known (see VlmManifest.vision.encoder). */
  readonly imageEncoder?: EncoderSize;
  /** Text encoder window (tokens, padded): SigLIP's 64. */
  readonly textLength: number;
  readonly padToken: number;
  readonly embedDim: number;
  /** s = scale · cos + bias: `logit_scale.exp()` and `logit_bias` of the checkpoint. */
  readonly logitScale: number;
  readonly logitBias: number;
  /** Output names of the embeddings. */
  readonly textOutput: string;
  readonly imageOutput: string;
}

export type ModelManifest = VlmManifest | RelevanceManifest;

/** The variant to load: f16 weights only on WebGPU with `shader-f16`. */
export function chooseVariant(choice: VariantChoice, target: VariantTarget): DtypeVariant {
  if (target.provider === 'wasm') return choice.wasm;
  return target.hasF16 ? choice.webgpuF16 : choice.webgpu;
}

/** One variant for every target (our own fp32 packages). */
export function onlyVariant(v: DtypeVariant): VariantChoice {
  return { wasm: v, webgpu: v, webgpuF16: v, available: [v] };
}

/** The path of `file` in `variant`, and its external-data file when it has one. */
export function variantPaths(
  file: OnnxModelFile,
  variant: DtypeVariant,
): { model: string; data: string | null } {
  const model = `${file.base}${SUFFIX[variant]}.onnx`;
  const ext = file.externalData;
  const has = Array.isArray(ext) ? ext.includes(variant) : ext === true;
  return { model, data: has ? `${model}_data` : null };
}

/** Every file of a manifest in `variant`: what a download must fetch. */
export function manifestFiles(m: ModelManifest, variant: DtypeVariant): string[] {
  const models =
    m.kind === 'vlm'
      ? [m.files.visionEncoder, m.files.embedTokens, m.files.decoder]
      : [m.files.textModel, m.files.visionModel];
  const paths = models.flatMap((f) => {
    const { model, data } = variantPaths(f, variant);
    return data ? [model, data] : [model];
  });
  if (m.kind === 'vlm') paths.push(m.files.tokenizer);
  else {
    paths.push(m.files.tokenizer);
    if (m.files.head) paths.push(m.files.head);
  }
  return [...new Set(paths)];
}

/**
 * Small files a package may or may not have, fetched beside its files when present: the chat
 * template's three homes (src/vlm/prompt.ts: CHAT_TEMPLATE_FILES) and tokenizer_config.json.
 */
export function optionalFiles(m: ModelManifest): string[] {
  return m.kind === 'vlm'
    ? ['chat_template.json', 'chat_template.jinja', 'tokenizer_config.json']
    : ['tokenizer_config.json'];
}
