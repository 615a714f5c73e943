// "Too large for this device", decided before sessions are made: the decoder's embedding table and
// a prefill chunk's logits against the GPU's buffer limits, a .onnx file without external data
// against protobuf's 2 GiB, weights against a wasm32 memory; ORT's own out-of-memory errors too.
import { describe, expect, it } from 'vitest';
import { assertFits, fitProblems, GIB } from '../../src/models/fit.ts';
import { createSession } from '../../src/models/loader.ts';
import type { Ort } from '../../src/models/ort.ts';
import {
  FIXTURE_VLM,
  SIGLIP_BASE,
  SMOLVLM2_256M,
  SMOLVLM2_500M,
} from '../../src/models/registry.ts';

const MIB = 2 ** 20;
/** WebGPU's default limits (what a device gets unless it asks for more). */
const DEFAULT_LIMITS = { maxStorageBufferBindingSize: 128 * MIB, maxBufferSize: 256 * MIB };
const none = new Map<string, number>();

describe('fits the device', () => {
  it('checks the embedding table and prefill logits against the GPU buffer limits', () => {
    const gpu = { provider: 'webgpu', limits: DEFAULT_LIMITS } as const;
    // 256M: 49 280 × 576 f32 = 108 MiB fits a 128 MiB binding
    expect(fitProblems(SMOLVLM2_256M, 'q4', none, gpu)).toEqual([]);
    // 500M: 49 280 × 960 f32 = 180 MiB does not; its f16 table (q4f16) does
    const [p] = fitProblems(SMOLVLM2_500M, 'q4', none, gpu);
    expect(p).toMatchObject({ limitName: 'maxStorageBufferBindingSize', limit: 128 * MIB });
    expect(p!.bytes).toBe(49280 * 960 * 4);
    expect(fitProblems(SMOLVLM2_500M, 'q4f16', none, gpu)).toEqual([]);
    // with the adapter's real limits (what src/gpu/device.ts asks for) it fits
    const big = { maxStorageBufferBindingSize: GIB, maxBufferSize: GIB };
    expect(fitProblems(SMOLVLM2_500M, 'q4', none, { provider: 'webgpu', limits: big })).toEqual([]);
    // a small device: the logits of a long prefill chunk
    const tiny = { maxStorageBufferBindingSize: 40 * MIB, maxBufferSize: 40 * MIB };
    const chunk = fitProblems(SMOLVLM2_256M, 'q4f16', none, {
      provider: 'webgpu',
      limits: tiny,
      prefillChunk: 512,
    });
    expect(chunk.map((x) => x.what)).toEqual([
      expect.stringMatching(/embedding/),
      expect.stringMatching(/512-token prefill chunk/),
    ]);
    expect(() => assertFits(SMOLVLM2_500M, 'q4', none, gpu)).toThrow(
      expect.objectContaining({
        code: 'too-large',
        message: expect.stringMatching(
          /SmolVLM2 500M.*token embedding table.*180 MiB.*maxStorageBufferBindingSize \(128 MiB\)/,
        ),
      }),
    );
  });

  it('checks file sizes: a graph over 2 GiB, weights over a wasm32 memory', () => {
    const sizes = new Map([['onnx/decoder_model_merged.onnx', 2.5 * GIB]]);
    expect(() => assertFits(SMOLVLM2_256M, 'fp32', sizes, { provider: 'webgpu' })).toThrow(
      expect.objectContaining({ code: 'too-large', message: expect.stringMatching(/2 GiB/) }),
    );
    const withData = new Map([
      ['onnx/vision_model.onnx', MIB],
      ['onnx/text_model.onnx', 4.5 * GIB],
    ]);
    const wasm = fitProblems(SIGLIP_BASE, 'fp32', withData, { provider: 'wasm' });
    expect(wasm.map((x) => x.limitName)).toEqual([
      'the 2 GiB protobuf limit',
      'the 4 GiB of WebAssembly memory the CPU backend runs in',
    ]);
    // external data: the graph is small, the weights file may be large
    const ext = new Map([
      ['onnx/vision_encoder.onnx', MIB],
      ['onnx/vision_encoder.onnx_data', 3 * GIB],
    ]);
    expect(fitProblems(FIXTURE_VLM, 'fp32', ext, { provider: 'webgpu' })).toEqual([]);
    ext.set('onnx/vision_encoder.onnx_data', 4.5 * GIB);
    expect(fitProblems(FIXTURE_VLM, 'fp32', ext, { provider: 'webgpu' })).toHaveLength(1);
  });

  it('turns ONNX Runtime’s own allocation failures into too-large', async () => {
    const refusing = {
      InferenceSession: {
        create: () =>
          Promise.reject(new Error('Failed to allocate: buffer size exceeds maxBufferSize')),
      },
    } as unknown as Ort;
    const files = new Map([['onnx/x.onnx', new Blob([new Uint8Array(8)])]]);
    await expect(
      createSession(refusing, files, { base: 'onnx/x' }, 'fp32', { provider: 'webgpu' }),
    ).rejects.toMatchObject({ code: 'too-large', message: expect.stringContaining('onnx/x.onnx') });
  });
});
