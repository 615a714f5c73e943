// Encoding that fits the GPU (issue 12, item 3): chunks sized from the per-buffer limits and the
// manifest's per-frame estimate; a chunked encode gives what one run gives, with progress per
// chunk; `too-large` only when one frame cannot fit. The GPU path is in tests/e2e/encode-chunks.
import { beforeAll, describe, expect, it } from 'vitest';
import { onnxRuntime } from '../../src/models/ort.ts';
import type { RelevanceModel } from '../../src/models/relevance.ts';
import {
  FIXTURE_RELEVANCE,
  FIXTURE_VLM,
  SIGLIP_BASE,
  SMOLVLM2_256M,
  SMOLVLM2_500M,
} from '../../src/models/registry.ts';
import { chunkRanges, largestFrameTensor, planChunks } from '../../src/vlm/encode-plan.ts';
import { encodePlans, encodeVideo, type LoadedVlm } from '../../src/vlm/pipeline.ts';
import { loadFixtureRelevance, loadFixtureVlm } from '../fixtures/packages.ts';

const MIB = 2 ** 20;
/** WebGPU's default limits: what a device gets when it asks for nothing more. */
const DEFAULTS = { maxStorageBufferBindingSize: 128 * MIB, maxBufferSize: 256 * MIB };
/** SwiftShader's adapter limits here (read from Dawn's adapter in Node: 1 GiB each). */
const SWIFTSHADER = { maxStorageBufferBindingSize: 1024 * MIB, maxBufferSize: 1024 * MIB };

const smolFrame = () =>
  largestFrameTensor(
    SMOLVLM2_256M.image,
    { tokens: 64, dim: SMOLVLM2_256M.vision.hidden },
    SMOLVLM2_256M.vision.encoder,
  );

describe('the chunk plan', () => {
  it('counts SigLIP-B/16 at 512 by its unfused attention scores: 48 MiB a frame', () => {
    const f = smolFrame();
    expect(f.bytes).toBe(12 * 1024 * 1024 * 4);
    expect(f.what).toMatch(/attention scores \(12 heads × 1024² patches\)/);
    expect(SMOLVLM2_500M.vision.encoder).toEqual(SMOLVLM2_256M.vision.encoder);
    // SigLIP base at 224: the MLP activations (196 × 3072) outgrow the scores (12 × 196²)
    const s = largestFrameTensor(
      SIGLIP_BASE.image,
      { tokens: 1, dim: 768 },
      SIGLIP_BASE.imageEncoder,
    );
    expect(s).toEqual({ bytes: 196 * 3072 * 4, what: 'MLP activations' });
  });

  it('32 frames: 2 a run under the default limits, two runs of 16 under SwiftShader’s', () => {
    const f = smolFrame();
    expect(32 * f.bytes).toBeGreaterThan(SWIFTSHADER.maxBufferSize); // one run cannot fit
    const lowered = planChunks(32, f, DEFAULTS);
    expect(lowered).toMatchObject({
      size: 2,
      chunks: 16,
      limitName: 'maxStorageBufferBindingSize',
    });
    const swift = planChunks(32, f, SWIFTSHADER);
    expect(swift).toMatchObject({ size: 16, chunks: 2 });
    expect(swift.size * f.bytes).toBeLessThanOrEqual(SWIFTSHADER.maxStorageBufferBindingSize);
    expect(chunkRanges(32, swift)).toEqual([
      [0, 16],
      [16, 32],
    ]);
    // even chunks: 5 frames under a 2-frame cap are 2, 2, 1
    expect(
      chunkRanges(
        5,
        planChunks(
          5,
          { bytes: 10, what: 'x' },
          { maxStorageBufferBindingSize: 25, maxBufferSize: 99 },
        ),
      ),
    ).toEqual([
      [0, 2],
      [2, 4],
      [4, 5],
    ]);
    expect(planChunks(32, f, null)).toMatchObject({ size: 32, chunks: 1 });
  });

  it('is too-large only when one frame does not fit, naming what and the limit', () => {
    const f = smolFrame();
    const small = { maxStorageBufferBindingSize: 32 * MIB, maxBufferSize: 256 * MIB };
    expect(() => planChunks(1, f, small, 'SmolVLM2')).toThrow(
      expect.objectContaining({
        code: 'too-large',
        message: expect.stringContaining(
          "SmolVLM2: one frame's attention scores (12 heads × 1024² patches) needs 48 MiB, over this GPU's maxStorageBufferBindingSize (32 MiB)",
        ) as unknown,
      }),
    );
    expect(planChunks(1, f, { ...small, maxStorageBufferBindingSize: 48 * MIB })).toMatchObject({
      size: 1,
    });
  });
});

describe('a chunked encode (fixture packages, wasm)', () => {
  let vlm: LoadedVlm;
  let relevance: RelevanceModel;
  beforeAll(async () => {
    [vlm, relevance] = await Promise.all([loadFixtureVlm(), loadFixtureRelevance()]);
  }, 60_000);

  it('gives what one run gives, with progress after each chunk', async () => {
    const ort = onnxRuntime();
    const frames = Array.from({ length: 9 }, (_, i) => {
      const rgba = new Uint8Array(72 * 40 * 4);
      for (let j = 0; j < rgba.length; j++) rgba[j] = (j * 7 + i * 53) % 253;
      return { t: i, width: 72, height: 40, rgba };
    });
    // the fixture's largest per-frame tensors: 48 KiB of pixels (VLM), 12 KiB (relevance)
    const limits = { maxStorageBufferBindingSize: 100 * 1024, maxBufferSize: 1 << 20 };
    const plans = encodePlans(
      { manifest: FIXTURE_VLM },
      { manifest: FIXTURE_RELEVANCE },
      9,
      limits,
    );
    expect(plans.vision).toMatchObject({ size: 2, chunks: 5, frame: { bytes: 3 * 64 * 64 * 4 } });
    expect(plans.relevance).toMatchObject({
      size: 5,
      chunks: 2,
      frame: { bytes: 3 * 32 * 32 * 4 },
    });
    const progress: string[] = [];
    const chunked = await encodeVideo(ort, vlm, relevance, frames, 9, {
      limits,
      onChunk: (tower, done, total) => progress.push(`${tower} ${done}/${total}`),
    });
    expect(progress).toEqual([
      'vision 2/9',
      'vision 4/9',
      'vision 6/9',
      'vision 8/9',
      'vision 9/9',
      'relevance 5/9',
      'relevance 9/9',
    ]);
    const whole = await encodeVideo(ort, vlm, relevance, frames, 9);
    const worst = (a: Float32Array, b: Float32Array) =>
      a.reduce((w, v, i) => Math.max(w, Math.abs(v - b[i]!)), 0);
    expect(chunked.tokens.cpu!.length).toBe(9 * 64 * 64);
    expect(worst(chunked.tokens.cpu!, whole.tokens.cpu!)).toBeLessThan(1e-5);
    expect(worst(chunked.frameEmbeddings, whole.frameEmbeddings)).toBeLessThan(1e-5);
    // frames differ, so a chunk written at the wrong offset would show
    expect(
      worst(whole.tokens.cpu!.subarray(0, 4096), whole.tokens.cpu!.subarray(4096, 8192)),
    ).toBeGreaterThan(1e-3);
  }, 60_000);
});
