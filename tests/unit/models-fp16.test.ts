// fp16 variants on ONNX Runtime's wasm provider: the fixture's `_fp16` models take and give float16
// (pixels, embeddings, the KV cache, logits) as the Hub's fp16 / q4f16 exports do, so every tensor
// the pipeline builds must follow the session's input types. The same weights compute in fp32
// inside, so results match the fp32 variant up to float16 rounding at the edges. Also the half
// conversions themselves, and the fp32 vision encoder's external-data file.
import { beforeAll, describe, expect, it } from 'vitest';
import { halfBits, halfValue, inputType, outputType } from '../../src/models/dtype.ts';
import { createSession, loadPackageFiles } from '../../src/models/loader.ts';
import { variantPaths } from '../../src/models/manifest.ts';
import { onnxRuntime } from '../../src/models/ort.ts';
import { FIXTURE_VLM } from '../../src/models/registry.ts';
import type { RelevanceModel } from '../../src/models/relevance.ts';
import { MemoryStore } from '../../src/models/store.ts';
import { cpuBackend } from '../../src/kvtp/cpu.ts';
import {
  answerQuestion,
  encodeVideo,
  selectTokens,
  type LoadedVlm,
} from '../../src/vlm/pipeline.ts';
import { cpuPath } from '../../src/vlm/compute-path.ts';
import {
  asFolder,
  HALF_TOME,
  loadFixtureRelevance,
  loadFixtureVlm,
  patternFrames,
} from '../fixtures/packages.ts';

const settings = HALF_TOME;
const frames = () => patternFrames(1);

let f32: { vlm: LoadedVlm; rel: RelevanceModel };
let f16: { vlm: LoadedVlm; rel: RelevanceModel };
beforeAll(async () => {
  const [v32, r32, v16, r16] = await Promise.all([
    loadFixtureVlm(FIXTURE_VLM, 'fp32'),
    loadFixtureRelevance(undefined, 'fp32'),
    loadFixtureVlm(FIXTURE_VLM, 'fp16'),
    loadFixtureRelevance(undefined, 'fp16'),
  ]);
  f32 = { vlm: v32, rel: r32 };
  f16 = { vlm: v16, rel: r16 };
}, 60_000);

describe('half floats', () => {
  it.each([
    [1, 0x3c00],
    [-2, 0xc000],
    [0.1, 0x2e66],
    [65504, 0x7bff],
    [65520, 0x7c00], // rounds up past the largest half: Infinity
    [2 ** -24, 0x0001], // smallest subnormal
    [2 ** -25, 0x0000], // half of it: ties to even (zero)
    [1 + 2 ** -11, 0x3c00], // tie between 1 and its successor: even
    [1 + 3 * 2 ** -11, 0x3c02],
    [-0, 0x8000],
  ])('%d ↔ %i', (x, bits) => {
    expect(halfBits(x)).toBe(bits);
    if (Number.isFinite(halfValue(bits))) expect(halfBits(halfValue(bits))).toBe(bits);
  });
  it('keeps NaN and infinities', () => {
    expect(Number.isNaN(halfValue(halfBits(NaN)))).toBe(true);
    expect(halfValue(halfBits(-Infinity))).toBe(-Infinity);
  });
});

describe('fp16 fixture variant on wasm', () => {
  it('declares float16 inputs and outputs, as the Hub’s fp16 exports do', () => {
    const dec = (f16.vlm.decoder as unknown as { decoder: never }).decoder;
    const embed = (f16.vlm.decoder as unknown as { embed: never }).embed;
    expect(inputType(dec, 'inputs_embeds')).toBe('float16');
    expect(inputType(dec, 'past_key_values.0.key')).toBe('float16');
    expect(inputType(dec, 'attention_mask')).toBe('int64');
    expect(outputType(dec, 'logits')).toBe('float16');
    expect(outputType(embed, 'inputs_embeds')).toBe('float16');
    expect(inputType(f16.vlm.vision, 'pixel_values')).toBe('float16');
    expect(outputType(f16.vlm.vision, 'image_features')).toBe('float16');
    const d32 = (f32.vlm.decoder as unknown as { decoder: never }).decoder;
    expect(inputType(d32, 'inputs_embeds')).toBe('float32');
  });

  it('answers a question end to end like the fp32 variant (f16 pixels, embeddings, cache)', async () => {
    const ort = onnxRuntime();
    const run = async (m: typeof f32) => {
      const video = await encodeVideo(ort, m.vlm, m.rel, frames(), 3);
      const sel = await selectTokens(
        cpuPath(cpuBackend()),
        m.rel,
        video,
        'Which colour?',
        settings,
      );
      const answer = await answerQuestion(ort, m.vlm, video, sel.selection, sel.kept, {
        maxNewTokens: 4,
        temperature: 0,
        topP: 1,
      });
      return { video, sel, answer };
    };
    const a = await run(f32);
    const b = await run(f16);
    // vision tokens and relevance embeddings within float16 rounding of the fp32 ones
    close(a.video.tokens.cpu!, b.video.tokens.cpu!, 2e-3);
    close(a.video.frameEmbeddings, b.video.frameEmbeddings, 2e-3);
    expect(b.sel.selection.visualKept).toBe(a.sel.selection.visualKept);
    expect(b.answer.promptTokens).toBe(a.answer.promptTokens);
    expect(b.answer.generation.ids.length).toBeGreaterThan(0);
    // the float16 cache grew by one per token fed back
    const fed =
      b.answer.generation.ids.length - (b.answer.generation.stopped === 'max-tokens' ? 1 : 0);
    expect(b.answer.generation.cacheLength).toBe(b.answer.promptTokens + fed);
  }, 60_000);

  it('gives prefill candidates within float16 rounding of the fp32 ones', async () => {
    const ids = f32.vlm.prompt.encode('What colour was the triangle?');
    const top = async (vlm: LoadedVlm) => {
      vlm.decoder.reset(ids.length);
      return vlm.decoder.forward(await vlm.decoder.embedIds(ids), 5);
    };
    const [a, b] = [await top(f32.vlm), await top(f16.vlm)];
    expect(b.ids[0]).toBe(a.ids[0]);
    a.values.forEach((v, i) => expect(Math.abs(v - b.values[i]!)).toBeLessThan(2e-2));
  });

  it('embeds frames and questions with the fp16 relevance towers like the fp32 ones', async () => {
    const ort = onnxRuntime();
    const { width: W, height: H } = f32.rel.manifest.image;
    const pixels = new Float32Array(3 * 3 * W * H).map((_, i) => Math.sin(i * 0.37));
    const embed = async (m: typeof f32) => {
      const t = new ort.Tensor('float32', pixels, [3, 3, H, W]);
      const frames = await m.rel.embedFrames(t);
      const text = await m.rel.embedQuestion('What colour was the triangle?');
      return { frames, text: text.data };
    };
    const [a, b] = [await embed(f32), await embed(f16)];
    expect(b.frames).toBeInstanceOf(Float32Array);
    close(a.frames, b.frames, 2e-3);
    close(a.text, b.text, 2e-3);
  });
});

/** Largest relative difference between two vectors stays under `tol`. */
function close(x: Float32Array, y: Float32Array, tol: number) {
  expect(x.length).toBe(y.length);
  let worst = 0;
  x.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - y[i]!) / (1 + Math.abs(v)))));
  expect(worst).toBeLessThan(tol);
}

describe('external data', () => {
  it('loads the fp32 vision encoder with its .onnx_data, and names the file when it is missing', async () => {
    const ort = onnxRuntime();
    const file = FIXTURE_VLM.files.visionEncoder;
    expect(variantPaths(file, 'fp32').data).toBe('onnx/vision_encoder.onnx_data');
    expect(variantPaths(file, 'fp16').data).toBeNull();
    const folder = asFolder(FIXTURE_VLM);
    const files = await loadPackageFiles(folder, 'fp32', { store: new MemoryStore() });
    expect(files.has('onnx/vision_encoder.onnx_data')).toBe(true);
    // the graph alone is small: its weights are in the data file
    expect(files.get('onnx/vision_encoder.onnx')!.size).toBeLessThan(
      files.get('onnx/vision_encoder.onnx_data')!.size,
    );
    const session = await createSession(ort, files, file, 'fp32', { provider: 'wasm' });
    expect(session.outputNames).toEqual(['image_features']);
    const without = new Map(files);
    without.delete('onnx/vision_encoder.onnx_data');
    await expect(
      createSession(ort, without, file, 'fp32', { provider: 'wasm' }),
    ).rejects.toMatchObject({
      code: 'missing-file',
      message: expect.stringContaining('vision_encoder.onnx_data'),
    });
    const cut = new Map(files);
    cut.set(
      'onnx/vision_encoder.onnx_data',
      files.get('onnx/vision_encoder.onnx_data')!.slice(0, 100),
    );
    await expect(createSession(ort, cut, file, 'fp32', { provider: 'wasm' })).rejects.toMatchObject(
      {
        code: 'bad-model',
      },
    );
  });
});
