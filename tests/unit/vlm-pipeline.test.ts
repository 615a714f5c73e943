// The model path on ONNX Runtime's wasm provider with the fixture packages (random weights, the
// real contracts): tensor names, the KV cache against a full recompute, the prompt with each
// frame's kept placeholders, and a whole question from frames to streamed tokens.
import { beforeAll, describe, expect, it } from 'vitest';
import { cpuBackend } from '../../src/kvtp/cpu.ts';
import { onnxRuntime } from '../../src/models/ort.ts';
import type { RelevanceModel } from '../../src/models/relevance.ts';
import { textWindows } from '../../src/models/relevance.ts';
import { cacheNames, KvDecoder } from '../../src/vlm/decoder.ts';
import { createSession } from '../../src/models/loader.ts';
import { spliceCpu } from '../../src/vlm/splice.ts';
import { durationClock, frameClock, numberWords } from '../../src/vlm/prompt.ts';
import {
  answerQuestion,
  encodeVideo,
  selectTokens,
  type LoadedVlm,
  type RgbaFrame,
} from '../../src/vlm/pipeline.ts';
import { cpuPath } from '../../src/vlm/compute-path.ts';
import type { SelectionSettings } from '../../src/engine/types.ts';
import { loadFixtureRelevance, loadFixtureVlm } from '../fixtures/packages.ts';

let vlm: LoadedVlm;
let relevance: RelevanceModel;
beforeAll(async () => {
  [vlm, relevance] = await Promise.all([loadFixtureVlm(), loadFixtureRelevance()]);
}, 60_000);

function frame(t: number, w: number, h: number, seed: number): RgbaFrame {
  const rgba = new Uint8Array(w * h * 4);
  for (let i = 0; i < rgba.length; i++) rgba[i] = (i * 31 + seed * 97) % 251;
  return { t, width: w, height: h, rgba };
}

const settings: SelectionSettings = {
  method: 'tome',
  allocation: 'exact',
  keepRatio: 0.25,
  temperature: 2,
  minPerFrame: 1,
  head: 'logit',
  seed: 0,
};

describe('fixture sessions', () => {
  it('speak the real tensor names', () => {
    const names = cacheNames(vlm.manifest.decoder);
    const d = (
      vlm.decoder as unknown as { decoder: { inputNames: string[]; outputNames: string[] } }
    ).decoder;
    expect(d.inputNames).toEqual([
      'inputs_embeds',
      'attention_mask',
      'position_ids',
      ...names.past,
    ]);
    expect(d.outputNames).toEqual(['logits', ...names.present]);
    expect(vlm.vision.inputNames).toEqual(['pixel_values', 'pixel_attention_mask']);
    expect(vlm.vision.outputNames).toEqual(['image_features']);
  });

  it('the KV cache gives the same next-token logits as recomputing the whole sequence', async () => {
    const ids = vlm.prompt.encode('What colour was the triangle?');
    const all = await vlm.decoder.embedIds(ids);
    const full = await vlm.decoder.generate(all, [], { maxNewTokens: 1, temperature: 0, topP: 1 });
    const head = await vlm.decoder.embedIds(ids.slice(0, -1));
    // prefill all but the last token, then feed the last one through the cache
    const d = vlm.decoder as unknown as {
      reset(): void;
      forward(e: unknown, k: number): Promise<{ values: Float32Array; ids: Uint32Array }>;
    };
    d.reset();
    await d.forward(head, 5);
    const last = await vlm.decoder.embedIds(ids.slice(-1));
    const step = await d.forward(last, 5);
    const whole = await (async () => {
      d.reset();
      return d.forward(await vlm.decoder.embedIds(ids), 5);
    })();
    expect(Array.from(step.ids)).toEqual(Array.from(whole.ids));
    step.values.forEach((v, i) => expect(Math.abs(v - whole.values[i]!)).toBeLessThan(1e-4));
    expect(full.ids.length).toBe(1);
    expect(full.ids[0]).toBe(whole.ids[0]);
  });
});

describe('chunked prefill', () => {
  it('gives the same next tokens as one pass (the cache carries the chunks)', async () => {
    const d = vlm.decoder as unknown as { embed: never; decoder: never };
    const chunked = new KvDecoder(onnxRuntime(), d.embed, d.decoder, vlm.manifest.decoder, {
      prefillChunk: 5,
    });
    const ids = vlm.prompt.encode('How many circles appeared in the video?');
    const opts = { maxNewTokens: 4, temperature: 0, topP: 1 };
    const whole = await vlm.decoder.generate(await vlm.decoder.embedIds(ids), [], opts);
    const parts = await chunked.generate(await chunked.embedIds(ids), [], opts);
    expect(parts.ids).toEqual(whole.ids);
    expect(parts.cacheLength).toBe(whole.cacheLength);
    expect(parts.logitRowsRead).toBe(whole.logitRowsRead); // inner chunks read nothing
  });
});

describe('prompt', () => {
  it('has each frame’s kept placeholders, its time, and the special tokens as single ids', () => {
    const p = vlm.prompt.build(
      'How many circles?',
      [
        { t: 1.5, keep: 3 },
        { t: 65, keep: 0 },
        { t: 70.2, keep: 2 },
      ],
      80,
    );
    expect(p.imagePositions.length).toBe(5);
    expect(p.text).toContain(
      'You are provided the following series of three frames from a 0:01:20 [H:MM:SS] video.',
    );
    expect(p.text).toContain(
      '\nFrame from 00:01:<fake_token_around_image><global-img><image><image><image><fake_token_around_image>',
    );
    expect(p.text).toContain(
      '\nFrame from 01:05:<fake_token_around_image><global-img><fake_token_around_image>',
    );
    expect(p.text.startsWith('<|im_start|>User: You are provided')).toBe(true);
    expect(p.text.endsWith('How many circles?<end_of_utterance>\nAssistant:')).toBe(true);
    expect(p.ids[0]).toBe(1); // <|im_start|>
    expect(p.ids.filter((id) => id === 5).length).toBe(6); // two <fake_token_around_image> per frame
  });

  it('writes counts, durations and frame times as SmolVLM2’s processor does', () => {
    expect([1, 20, 32, 64, 100, 256].map(numberWords)).toEqual([
      'one',
      'twenty',
      'thirty-two',
      'sixty-four',
      'one hundred',
      'two hundred and fifty-six',
    ]);
    expect(durationClock(16.9)).toBe('0:00:16');
    expect(durationClock(7322)).toBe('2:02:02');
    expect(frameClock(59.99)).toBe('00:59');
    expect(frameClock(4530)).toBe('75:30'); // minutes are not wrapped into hours
  });

  it('cuts a long question into padded windows of the text encoder', () => {
    expect(textWindows([1, 2, 3], 2, 9)).toEqual([
      [1, 2],
      [3, 9],
    ]);
    expect(textWindows([], 3, 9)).toEqual([[9, 9, 9]]);
  });
});

describe('a question end to end (wasm, CPU KVTP backend)', () => {
  it('encodes the video once, selects tokens, and streams a deterministic answer', async () => {
    const ort = onnxRuntime();
    const frames = [0, 1, 2, 3].map((i) => frame(i * 2 + 1, 96, 54, i));
    const video = await encodeVideo(ort, vlm, relevance, frames, 8);
    expect(video.tokens.cpu!.length).toBe(4 * 64 * 64);
    expect(video.tokens.gpu).toBeNull();
    expect(video.imageFit).toEqual([1, 36 / 64]);
    const backend = cpuBackend();
    const { selection, kept } = await selectTokens(
      cpuPath(backend),
      relevance,
      video,
      'What colour was the triangle?',
      settings,
    );
    expect(selection.visualKept).toBe(Math.round(0.25 * 4 * 64));
    expect(selection.frames.map((f) => f.keep).reduce((a, b) => a + b, 0)).toBe(64);
    const streamed: number[] = [];
    const a = await answerQuestion(ort, vlm, video, selection, kept, {
      maxNewTokens: 6,
      temperature: 0,
      topP: 1,
      onToken: (id) => streamed.push(id),
    });
    expect(a.generation.ids).toEqual(streamed);
    // wasm: the cache is CPU tensors and each step reads its logits row; one cache row per token
    expect(a.generation.cache).toBe('cpu');
    const fed = a.generation.ids.length - (a.generation.stopped === 'max-tokens' ? 1 : 0);
    expect(a.generation.cacheLength).toBe(a.promptTokens + fed);
    expect(a.generation.logitRowsRead).toBe(fed + 1);
    expect(a.generation.ids.length).toBeGreaterThan(0);
    expect(a.promptTokensUnpruned - a.promptTokens).toBe(4 * 64 - 64);
    expect(a.prefillFlops).toBeLessThan(a.prefillFlopsUnpruned);
    const again = await answerQuestion(ort, vlm, video, selection, kept, {
      maxNewTokens: 6,
      temperature: 0,
      topP: 1,
    });
    expect(again.generation.ids).toEqual(a.generation.ids);
    const cancelled = new AbortController();
    cancelled.abort();
    const none = await answerQuestion(ort, vlm, video, selection, kept, {
      maxNewTokens: 6,
      temperature: 0,
      topP: 1,
      signal: cancelled.signal,
    });
    expect(none.generation.stopped).toBe('cancelled');
  }, 60_000);
});

describe('keeping every token', () => {
  it('gives the decoder exactly the unpruned embeddings and the same answer', async () => {
    const ort = onnxRuntime();
    const frames = [0, 1, 2].map((i) => frame(i + 0.5, 64, 64, i + 7));
    const video = await encodeVideo(ort, vlm, relevance, frames, 3);
    const all = { ...settings, method: 'none' as const, keepRatio: 1 };
    const { selection, kept } = await selectTokens(
      cpuPath(cpuBackend()),
      relevance,
      video,
      'Where?',
      all,
    );
    expect(kept.features).toEqual(video.tokens.cpu);
    const viaKvtp = await answerQuestion(ort, vlm, video, selection, kept, {
      maxNewTokens: 5,
      temperature: 0,
      topP: 1,
    });
    // the unpruned path by hand: every placeholder gets its frame's raw vision token
    const prompt = vlm.prompt.build(
      'Where?',
      frames.map((f) => ({ t: f.t, keep: 64 })),
      3,
    );
    const e = await vlm.decoder.embedIds(prompt.ids);
    const embeds = new Float32Array((await e.getData()) as Float32Array);
    spliceCpu(embeds, video.tokens.cpu!, prompt.imagePositions, 64);
    const direct = await vlm.decoder.generate(
      new ort.Tensor('float32', embeds, [1, prompt.ids.length, 64]),
      [3],
      {
        maxNewTokens: 5,
        temperature: 0,
        topP: 1,
      },
    );
    expect(viaKvtp.generation.ids).toEqual(direct.ids);
    expect(viaKvtp.promptTokens).toBe(viaKvtp.promptTokensUnpruned);
  });
});

describe('loading errors', () => {
  it('a file that is not a model is a bad-model error naming it', async () => {
    const files = new Map([['onnx/x.onnx', new Blob([new Uint8Array([1, 2, 3, 4])])]]);
    await expect(
      createSession(onnxRuntime(), files, { base: 'onnx/x' }, 'fp32', { provider: 'wasm' }),
    ).rejects.toMatchObject({ code: 'bad-model', message: expect.stringContaining('onnx/x.onnx') });
  });
  it('a variant that was not loaded is a missing-file error', async () => {
    await expect(
      createSession(onnxRuntime(), new Map(), { base: 'onnx/x' }, 'q4', { provider: 'wasm' }),
    ).rejects.toMatchObject({
      code: 'missing-file',
      message: expect.stringContaining('onnx/x_q4.onnx'),
    });
  });
});
