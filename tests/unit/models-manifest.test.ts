// Model manifests: which files a package needs in which variant, f16 weights only with shader-f16,
// and the registry's real models as the pipeline reads them.
import { describe, expect, it } from 'vitest';
import {
  chooseVariant,
  F16_VARIANTS,
  manifestFiles,
  variantPaths,
} from '../../src/models/manifest.ts';
import { HUB_RELEVANCE, HUB_VLMS, SIGLIP_BASE, SMOLVLM2_256M } from '../../src/models/registry.ts';
import { planResize, preprocessFrameCpu } from '../../src/models/preprocess.ts';
import { fileUrl } from '../../src/models/source.ts';

describe('manifests', () => {
  it('name variant files as the Hub exports do, with external data beside them', () => {
    expect(variantPaths({ base: 'onnx/decoder_model_merged' }, 'q4f16')).toEqual({
      model: 'onnx/decoder_model_merged_q4f16.onnx',
      data: null,
    });
    expect(variantPaths({ base: 'onnx/vision_encoder', externalData: true }, 'fp32')).toEqual({
      model: 'onnx/vision_encoder.onnx',
      data: 'onnx/vision_encoder.onnx_data',
    });
    // external data for some variants only (big fp32 weights), as Hub exports often have it
    const some = { base: 'onnx/vision_encoder', externalData: ['fp32'] } as const;
    expect(variantPaths(some, 'fp32').data).toBe('onnx/vision_encoder.onnx_data');
    expect(variantPaths(some, 'fp16').data).toBeNull();
  });
  it('choose f16 weights only on WebGPU with shader-f16, and no int8 matmuls on WebGPU', () => {
    const gpu = { provider: 'webgpu', hasF16: false } as const;
    const gpuF16 = { provider: 'webgpu', hasF16: true } as const;
    const wasm = { provider: 'wasm', hasF16: false } as const;
    expect(chooseVariant(SMOLVLM2_256M.variants, gpu)).toBe('q4');
    expect(chooseVariant(SMOLVLM2_256M.variants, gpuF16)).toBe('q4f16');
    expect(chooseVariant(SMOLVLM2_256M.variants, wasm)).toBe('q4');
    // SigLIP's `quantized` is DynamicQuantizeLinear + MatMulInteger: kernels ONNX Runtime's WebGPU
    // provider does not have (webgpu_execution_provider.cc), so WebGPU takes fp32 as transformers.js
    // does (utils/dtypes.js: DEFAULT_DEVICE_DTYPE fp32, wasm → q8); wasm keeps the small int8 one
    expect(chooseVariant(SIGLIP_BASE.variants, gpu)).toBe('fp32');
    expect(chooseVariant(SIGLIP_BASE.variants, gpuF16)).toBe('fp16');
    expect(chooseVariant(SIGLIP_BASE.variants, wasm)).toBe('quantized');
    const int8 = new Set(['int8', 'uint8', 'quantized']);
    for (const m of [...HUB_VLMS, ...HUB_RELEVANCE]) {
      expect(F16_VARIANTS.has(m.variants.webgpu), m.id).toBe(false);
      expect(F16_VARIANTS.has(m.variants.wasm), m.id).toBe(false);
      expect(int8.has(m.variants.webgpu) || int8.has(m.variants.webgpuF16), m.id).toBe(false);
      for (const v of [m.variants.wasm, m.variants.webgpu, m.variants.webgpuF16]) {
        expect(m.variants.available, m.id).toContain(v);
      }
    }
  });
  it('squash SmolVLM2 video frames to 512 × 512 as transformers’ SmolVLMVideoProcessor does', () => {
    // video_processing_smolvlm.py, SmolVLMVideoProcessor.resize: longest edge to
    // video_size.longest_edge, then "Frames have to be squared to max_image_size" (512 × 512 in
    // the model's preprocessor_config.json), small frames enlarged too; so no padding, mask all ones
    for (const m of HUB_VLMS) {
      expect(m.image, m.id).toMatchObject({ width: 512, height: 512, resize: 'squash' });
      const wide = planResize(1920, 1080, m.image);
      expect(wide.fit).toEqual([512, 512]);
      expect(planResize(320, 240, m.image).fit).toEqual([512, 512]);
      const { mask } = preprocessFrameCpu(new Uint8Array(96 * 54 * 4), 96, 54, m.image);
      expect(mask.every((v) => v === 1)).toBe(true);
    }
  });
  it('list every file a download fetches', () => {
    expect(manifestFiles(SMOLVLM2_256M, 'q4')).toEqual([
      'onnx/vision_encoder_q4.onnx',
      'onnx/embed_tokens_q4.onnx',
      'onnx/decoder_model_merged_q4.onnx',
      'tokenizer.json',
    ]);
    expect(manifestFiles(SIGLIP_BASE, 'quantized')).toEqual([
      'onnx/text_model_quantized.onnx',
      'onnx/vision_model_quantized.onnx',
      'tokenizer.json',
    ]);
    expect(fileUrl(SMOLVLM2_256M.source, 'onnx/embed_tokens_q4.onnx')).toBe(
      'https://huggingface.co/HuggingFaceTB/SmolVLM2-256M-Video-Instruct/resolve/main/onnx/embed_tokens_q4.onnx',
    );
  });
  it('keep the real models consistent: N = grid, KV layout, SigLIP constants', () => {
    for (const m of HUB_VLMS) {
      expect(m.vision.grid[0] * m.vision.grid[1], m.id).toBe(m.vision.tokensPerFrame);
      expect(m.decoder.pastKey).toContain('{i}');
    }
    expect(SMOLVLM2_256M.vision.hidden).toBe(576);
    expect(SIGLIP_BASE.logitScale).toBeCloseTo(117.33, 1);
  });
});
