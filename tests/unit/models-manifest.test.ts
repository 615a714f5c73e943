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
  });
  it('choose f16 weights only where the device has shader-f16', () => {
    expect(chooseVariant(SMOLVLM2_256M.variants, false)).toBe('q4');
    expect(chooseVariant(SMOLVLM2_256M.variants, true)).toBe('q4f16');
    for (const m of [...HUB_VLMS, ...HUB_RELEVANCE]) {
      expect(F16_VARIANTS.has(m.variants.f32), m.id).toBe(false);
      expect(m.variants.available).toContain(m.variants.f32);
      expect(m.variants.available).toContain(m.variants.f16);
    }
  });
  it('list every file a download fetches', () => {
    expect(manifestFiles(SMOLVLM2_256M, 'q4')).toEqual([
      'onnx/vision_encoder_q4.onnx',
      'onnx/embed_tokens_q4.onnx',
      'onnx/decoder_model_merged_q4.onnx',
      'tokenizer.json',
      'chat_template.json',
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
