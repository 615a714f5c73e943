// The model packages the app offers: the real Hub models of MODELS.md mapped onto the manifest,
// first the defaults. Facts come from each model's config.json / preprocessor_config.json and
// export listing; `checked` says how each was confirmed (the machines that build this app cannot
// download the models, so what is not checked against the files is marked as such).

import {
  onlyVariant,
  type EncoderSize,
  type RelevanceManifest,
  type VlmManifest,
} from './manifest.ts';
import type { ImageSpec } from './preprocess.ts';

const HALF: readonly [number, number, number] = [0.5, 0.5, 0.5];

/**
 * SmolVLM2 video frames: squashed to 512 × 512 whatever their aspect, /255, mean = std = 0.5; the
 * pixel mask is all ones. Checked against transformers' SmolVLMVideoProcessor.resize
 * (src/transformers/models/smolvlm/video_processing_smolvlm.py): it resizes the longest edge to
 * `video_sampling.video_size.longest_edge` (512) keeping aspect, then "Resize again to match image
 * processor when do_image_splitting=False. Frames have to be squared to max_image_size" — to
 * max_image_size.longest_edge × max_image_size.longest_edge (512 × 512 in the model's
 * preprocessor_config.json). Both steps enlarge small frames too. Every frame of a video then has
 * the same size, so padding adds nothing and the mask is all ones.
 */
export const SMOLVLM_VIDEO_IMAGE: ImageSpec = {
  width: 512,
  height: 512,
  resize: 'squash',
  upscale: true,
  rescale: 1 / 255,
  mean: HALF,
  std: HALF,
};

/**
 * Longest edge to the canvas, aspect kept, padded right/bottom, masked, no upscaling: how our own
 * packages (the demo and the fixtures) were made and trained; it also keeps the pad and mask path
 * of the pipeline exercised.
 */
const PADDED_IMAGE: ImageSpec = { ...SMOLVLM_VIDEO_IMAGE, resize: 'longest', upscale: false };

/**
 * SigLIP-B/16 at 512 × 512, SmolVLM2's vision tower (both sizes): 32 × 32 patches, width 768,
 * 12 heads, MLP 3072. Whether the published export fuses attention is not checked (these
 * machines cannot download it): counted as unfused, the larger estimate.
 */
const SIGLIP_B16_512: EncoderSize = {
  patches: 1024,
  width: 768,
  heads: 12,
  mlp: 3072,
  attention: 'unfused',
};

function smolvlm2(
  size: '256M' | '500M',
  text: { hidden: number; layers: number; heads: number; kvHeads: number; intermediate: number },
): VlmManifest {
  return {
    kind: 'vlm',
    id: `smolvlm2-${size.toLowerCase()}-video`,
    title: `SmolVLM2 ${size} Video Instruct`,
    source: {
      kind: 'hub',
      repo: `HuggingFaceTB/SmolVLM2-${size}-Video-Instruct`,
      revision: 'main',
    },
    files: {
      visionEncoder: { base: 'onnx/vision_encoder' },
      embedTokens: { base: 'onnx/embed_tokens' },
      decoder: { base: 'onnx/decoder_model_merged' },
      tokenizer: 'tokenizer.json',
    },
    // q4 (MatMulNBits, which ONNX Runtime runs on WebGPU and on wasm) everywhere but where the
    // GPU has shader-f16; the int8 families need MatMulInteger, which the WebGPU provider lacks
    variants: {
      wasm: 'q4',
      webgpu: 'q4',
      webgpuF16: 'q4f16',
      available: ['fp32', 'fp16', 'q4', 'q4f16', 'int8', 'uint8', 'bnb4', 'quantized'],
    },
    image: SMOLVLM_VIDEO_IMAGE,
    pixelMask: true,
    vision: {
      tokensPerFrame: 64,
      grid: [8, 8],
      hidden: text.hidden,
      encoder: SIGLIP_B16_512,
    },
    decoder: {
      layers: text.layers,
      heads: text.heads,
      kvHeads: text.kvHeads,
      intermediate: text.intermediate,
      headDim: 64,
      vocab: 49280,
      pastKey: 'past_key_values.{i}.key',
      pastValue: 'past_key_values.{i}.value',
      presentKey: 'present.{i}.key',
      presentValue: 'present.{i}.value',
    },
    tokens: {
      bos: 0,
      eos: [49279],
      pad: 2,
      image: 49190,
      imageText: '<image>',
      frameStart: '<fake_token_around_image><global-img>',
      frameEnd: '<fake_token_around_image>',
    },
  };
}

/** The default VLM. Checked: MODELS.md (config.json, onnx/ listing); tensor names not yet against the export. */
export const SMOLVLM2_256M = smolvlm2('256M', {
  hidden: 576,
  layers: 30,
  heads: 9,
  kvHeads: 3,
  intermediate: 1536,
});
/** Its larger sibling (SmolLM2-360M text: hidden 960, 32 layers, 15 heads, 5 KV heads). */
export const SMOLVLM2_500M = smolvlm2('500M', {
  hidden: 960,
  layers: 32,
  heads: 15,
  kvHeads: 5,
  intermediate: 2560,
});

/**
 * The default relevance model. Checked against the Hub listing of Xenova/siglip-base-patch16-224
 * (onnx/text_model, onnx/vision_model with _fp16 and _quantized variants; preprocessor 224 × 224
 * squash, mean = std = 0.5; text padded to 64 with `</s>`, id 1) and the checkpoint's constants
 * logit_scale = 4.765 (exp ≈ 117.33), logit_bias = −12.932. The separate towers' outputs are read
 * as `pooler_output` (as transformers.js' SiglipTextModel / SiglipVisionModel return them).
 */
export const SIGLIP_BASE: RelevanceManifest = {
  kind: 'relevance',
  id: 'siglip-base-224',
  title: 'SigLIP base (224)',
  source: { kind: 'hub', repo: 'Xenova/siglip-base-patch16-224', revision: 'main' },
  files: {
    textModel: { base: 'onnx/text_model' },
    visionModel: { base: 'onnx/vision_model' },
    tokenizer: 'tokenizer.json',
    head: null,
  },
  // `quantized` is dynamic int8 quantization (DynamicQuantizeLinear + MatMulInteger). ONNX
  // Runtime's WebGPU provider registers neither op (onnxruntime/core/providers/webgpu/
  // webgpu_execution_provider.cc has DequantizeLinear only), so on WebGPU those nodes would run
  // on the CPU with copies each way; transformers.js likewise defaults WebGPU to fp32 and wasm to
  // q8 (`_quantized`) (src/utils/dtypes.js: DEFAULT_DEVICE_DTYPE, DEFAULT_DEVICE_DTYPE_MAPPING).
  variants: {
    wasm: 'quantized',
    webgpu: 'fp32',
    webgpuF16: 'fp16',
    available: ['fp32', 'fp16', 'quantized'],
  },
  // SigLIP base at 224: 14 × 14 patches of the same B/16 tower (attention counted as unfused)
  imageEncoder: { ...SIGLIP_B16_512, patches: 196 },
  image: {
    width: 224,
    height: 224,
    resize: 'squash',
    upscale: true,
    rescale: 1 / 255,
    mean: HALF,
    std: HALF,
  },
  textLength: 64,
  padToken: 1,
  embedDim: 768,
  logitScale: Math.exp(4.765),
  logitBias: -12.932,
  textOutput: 'pooler_output',
  imageOutput: 'pooler_output',
};

/** SigLIP base's contracts without its tower's size (packages whose towers are other). */
const { imageEncoder: _siglipTower, ...SIGLIP_CONTRACT } = SIGLIP_BASE;

/**
 * The embedded demo (issue 5): a small VLM trained here on the synthetic sparse-event videos of
 * tools/demo (a CNN vision encoder giving an 8 × 8 grid of 128-wide tokens per 128 × 128 frame, a
 * 3-layer Llama-style decoder), with SmolVLM2's contracts, prompt and chat template. Served from
 * public/models/demo-vlm (tools/demo/package.py). It answers questions about those videos only.
 */
export const DEMO_VLM: VlmManifest = {
  ...SMOLVLM2_256M,
  id: 'demo-vlm',
  title: 'Demo VLM (trained on synthetic sparse-event videos)',
  source: { kind: 'url', base: 'models/demo-vlm/' },
  variants: onlyVariant('fp32'),
  image: { ...PADDED_IMAGE, width: 128, height: 128 },
  // a CNN tower whose inner sizes the manifest does not describe: its input and output count
  vision: { tokensPerFrame: 64, grid: [8, 8], hidden: 128 },
  decoder: {
    ...SMOLVLM2_256M.decoder,
    layers: 3,
    heads: 4,
    kvHeads: 2,
    headDim: 32,
    intermediate: 192,
    vocab: 514,
  },
  tokens: { ...SMOLVLM2_256M.tokens, bos: null, eos: [6], pad: 0, image: 4 },
};

/**
 * The demo's relevance model: a SigLIP-style dual encoder trained with the sigmoid loss on the same
 * videos (128 × 128 frames, 64-token questions, 64-wide embeddings), and the learned predictor
 * head of issue 3 trained on its embeddings (`predictor_head.safetensors`). Scale and bias are the
 * trained checkpoint's (public/models/demo-relevance/config.json; a unit test keeps them equal).
 */
export const DEMO_RELEVANCE: RelevanceManifest = {
  ...SIGLIP_CONTRACT,
  id: 'demo-relevance',
  title: 'Demo relevance model (trained on synthetic sparse-event videos)',
  source: { kind: 'url', base: 'models/demo-relevance/' },
  files: { ...SIGLIP_BASE.files, head: 'predictor_head.safetensors' },
  variants: onlyVariant('fp32'),
  image: { ...SIGLIP_BASE.image, width: 128, height: 128 },
  textLength: 64,
  padToken: 0,
  embedDim: 64,
  logitScale: 18.974259,
  logitBias: -9.549423,
};

/** The packages the app uses when no other model is chosen: they ship with it and work offline. */
export const DEFAULT_VLM = DEMO_VLM;
export const DEFAULT_RELEVANCE = DEMO_RELEVANCE;

/** Hub VLMs in the order the picker shows them. */
export const HUB_VLMS: readonly VlmManifest[] = [SMOLVLM2_256M, SMOLVLM2_500M];
export const HUB_RELEVANCE: readonly RelevanceManifest[] = [SIGLIP_BASE];

const FIXTURE_VARIANTS = {
  wasm: 'fp32',
  webgpu: 'fp32',
  webgpuF16: 'fp16',
  available: ['fp32', 'fp16'],
} as const;

/**
 * Test fixtures served from the app's own public/models/ (made by tools/fixtures/make_fixtures.py):
 * random weights, the real contracts, small sizes (64 × 64 frames, an 8 × 8 grid of width 64).
 */
export const FIXTURE_VLM: VlmManifest = {
  ...SMOLVLM2_256M,
  id: 'fixture-vlm',
  title: 'Fixture VLM (random weights, for tests)',
  source: { kind: 'url', base: 'models/fixture-vlm/' },
  files: {
    ...SMOLVLM2_256M.files,
    // the fp32 vision encoder keeps its weights in vision_encoder.onnx_data, as large exports do
    visionEncoder: { base: 'onnx/vision_encoder', externalData: ['fp32'] },
  },
  // fp16: float16 inputs and outputs (pixels, embeddings, KV cache, logits), as the Hub's
  // fp16/q4f16 exports have them; chosen like those, only on WebGPU with shader-f16
  variants: FIXTURE_VARIANTS,
  image: { ...PADDED_IMAGE, width: 64, height: 64 },
  // make_fixtures.py's VisionEncoder: an 8 × 8 patch conv to width 32, no attention
  vision: {
    tokensPerFrame: 64,
    grid: [8, 8],
    hidden: 64,
    encoder: { patches: 64, width: 32, heads: 0, mlp: 0, attention: 'fused' },
  },
  decoder: {
    ...SMOLVLM2_256M.decoder,
    layers: 2,
    heads: 4,
    kvHeads: 2,
    headDim: 16,
    intermediate: 128,
    vocab: 104,
  },
  tokens: { ...SMOLVLM2_256M.tokens, bos: null, eos: [3], pad: 2, image: 4 },
};

/**
 * The fixture VLM as other published packages are laid out (tools/fixtures/make_fixtures.py
 * --export-variant): the same weights; its decoder takes `use_cache_branch` and
 * `num_logits_to_keep` and no `position_ids`; its chat template is only in tokenizer_config.json.
 */
export const FIXTURE_VLM_EXPORT: VlmManifest = {
  ...FIXTURE_VLM,
  id: 'fixture-vlm-export',
  title: 'Fixture VLM, another export layout (random weights, for tests)',
  source: { kind: 'url', base: 'models/fixture-vlm-export/' },
  variants: onlyVariant('fp32'),
};

export const FIXTURE_RELEVANCE: RelevanceManifest = {
  ...SIGLIP_CONTRACT,
  // make_fixtures.py's VisionTower: a 4 × 4 patch conv to width 48, no attention
  imageEncoder: { patches: 16, width: 48, heads: 0, mlp: 0, attention: 'fused' },
  id: 'fixture-relevance',
  title: 'Fixture relevance model (random weights, for tests)',
  source: { kind: 'url', base: 'models/fixture-relevance/' },
  // also `quantized` (uint8 MatMulInteger, as Xenova's SigLIP), to check what WebGPU does with it;
  // the fixture stays fp32 on wasm so that its scores match the WebGPU path's exactly
  variants: { ...FIXTURE_VARIANTS, available: ['fp32', 'fp16', 'quantized'] },
  image: { ...SIGLIP_BASE.image, width: 32, height: 32 },
  padToken: 7,
  embedDim: 32,
  logitScale: 10,
  logitBias: -1,
};

/**
 * Real-size replicas for `npm run bench:real` (random weights, made by
 * tools/replicas/make_replicas.py, never committed), served by the bench under replicas/:
 * SmolVLM2-256M's vision encoder, embedding table and decoder, SigLIP base's towers, with the
 * fixtures' small tokenizer and chat template (its ids are valid rows of the real-size tables).
 */
export const REPLICA_VLM: VlmManifest = {
  ...SMOLVLM2_256M,
  id: 'replica-smolvlm2-256m',
  title: 'SmolVLM2-256M replica (random weights, for benchmarks)',
  source: { kind: 'url', base: 'replicas/smolvlm2-256m/' },
  files: {
    ...SMOLVLM2_256M.files,
    visionEncoder: { base: 'onnx/vision_encoder', externalData: true },
    embedTokens: { base: 'onnx/embed_tokens', externalData: true },
    decoder: { base: 'onnx/decoder_model_merged' },
  },
  variants: onlyVariant('fp32'),
  tokens: FIXTURE_VLM.tokens,
};

export const REPLICA_RELEVANCE: RelevanceManifest = {
  ...SIGLIP_BASE,
  id: 'replica-siglip-base',
  title: 'SigLIP base replica (random weights, for benchmarks)',
  source: { kind: 'url', base: 'replicas/siglip-base-224/' },
  files: {
    ...SIGLIP_BASE.files,
    textModel: { base: 'onnx/text_model', externalData: true },
    visionModel: { base: 'onnx/vision_model', externalData: true },
  },
  variants: onlyVariant('fp32'),
  padToken: FIXTURE_RELEVANCE.padToken,
};

/** Every package the app knows, by id: the defaults first, then the Hub models, then the fixtures. */
export const REGISTRY: readonly (VlmManifest | RelevanceManifest)[] = [
  DEMO_VLM,
  DEMO_RELEVANCE,
  ...HUB_VLMS,
  ...HUB_RELEVANCE,
  FIXTURE_VLM,
  FIXTURE_VLM_EXPORT,
  FIXTURE_RELEVANCE,
  REPLICA_VLM,
  REPLICA_RELEVANCE,
];
