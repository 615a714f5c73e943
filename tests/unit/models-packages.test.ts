// Packages read as published (issue 12, item 2): the chat template from chat_template.json, else
// chat_template.jinja, else tokenizer_config.json; a decoder export with use_cache_branch and
// num_logits_to_keep and without position_ids answers as the same weights behind the other
// interface do; what a package lacks is named in the error.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { cpuBackend } from '../../src/kvtp/cpu.ts';
import { optionalFiles } from '../../src/models/manifest.ts';
import { onnxRuntime } from '../../src/models/ort.ts';
import type { RelevanceModel } from '../../src/models/relevance.ts';
import { FIXTURE_VLM, FIXTURE_VLM_EXPORT } from '../../src/models/registry.ts';
import { decoderContract } from '../../src/vlm/decoder-feeds.ts';
import { cacheNames, KvDecoder } from '../../src/vlm/decoder.ts';
import {
  answerQuestion,
  encodeVideo,
  selectTokens,
  type LoadedVlm,
} from '../../src/vlm/pipeline.ts';
import { CHAT_TEMPLATE_FILES, chatTemplateIn } from '../../src/vlm/prompt.ts';
import { referenceLogits } from '../../src/vlm/reference.ts';
import { cpuPath } from '../../src/vlm/compute-path.ts';
import {
  HALF_TOME,
  loadFixtureRelevance,
  loadFixtureVlm,
  patternFrames,
} from '../fixtures/packages.ts';

const PUBLIC = new URL('../../public/models/', import.meta.url);
const text = (path: string) => readFileSync(new URL(path, PUBLIC), 'utf8');
const blob = (s: string) => new Blob([s]);
const TEMPLATE = (JSON.parse(text('fixture-vlm/chat_template.json')) as { chat_template: string })
  .chat_template;

describe('the chat template', () => {
  it('is looked for where transformers keeps it, in order, and named when absent', async () => {
    expect(optionalFiles(FIXTURE_VLM).filter((p) => p.startsWith('chat_template'))).toEqual(
      CHAT_TEMPLATE_FILES.filter((p) => p.startsWith('chat_template')),
    );
    const json = JSON.stringify({ chat_template: 'from json' });
    const config = JSON.stringify({ chat_template: 'from config' });
    const files = (entries: Record<string, string>) =>
      new Map(Object.entries(entries).map(([k, v]) => [k, blob(v)]));
    expect(
      await chatTemplateIn(
        files({
          'chat_template.json': json,
          'chat_template.jinja': 'from jinja',
          'tokenizer_config.json': config,
        }),
        'p',
      ),
    ).toBe('from json');
    const both = files({ 'chat_template.jinja': 'from jinja', 'tokenizer_config.json': config });
    expect(await chatTemplateIn(both, 'p')).toBe('from jinja');
    expect(await chatTemplateIn(files({ 'tokenizer_config.json': config }), 'p')).toBe(
      'from config',
    );
    // tokenizer_config.json's list of named templates: the default one
    const named = JSON.stringify({
      chat_template: [
        { name: 'tool_use', template: 'tools' },
        { name: 'default', template: 'plain' },
      ],
    });
    expect(await chatTemplateIn(files({ 'tokenizer_config.json': named }), 'p')).toBe('plain');
    const none = files({ 'tokenizer_config.json': JSON.stringify({ model_max_length: 8 }) });
    await expect(chatTemplateIn(none, 'My package')).rejects.toMatchObject({
      code: 'missing-file',
      message: expect.stringMatching(
        /My package has no chat template \(looked for chat_template\.json, chat_template\.jinja and "chat_template" in tokenizer_config\.json\)/,
      ) as unknown,
    });
  });

  it('a package with chat_template.jinja only builds the same prompt', async () => {
    const json = await loadFixtureVlm(FIXTURE_VLM);
    const jinjaFiles = new Map([['chat_template.jinja', blob(TEMPLATE)]]);
    const jinja = await chatTemplateIn(jinjaFiles, 'jinja package');
    expect(jinja).toBe(TEMPLATE);
    const frames = [{ t: 1, keep: 2 }];
    const a = json.prompt.build('Which colour?', frames, 4);
    const { PromptBuilder } = await import('../../src/vlm/prompt.ts');
    const b = new PromptBuilder(
      JSON.parse(text('fixture-vlm/tokenizer.json')) as object,
      JSON.parse(text('fixture-vlm/tokenizer_config.json')) as object,
      jinja,
      FIXTURE_VLM,
    ).build('Which colour?', frames, 4);
    expect(b.ids).toEqual(a.ids);
  }, 60_000);
});

describe('a decoder export with use_cache_branch and num_logits_to_keep, without position_ids', () => {
  let base: LoadedVlm;
  let other: LoadedVlm;
  let relevance: RelevanceModel;
  beforeAll(async () => {
    [base, other, relevance] = await Promise.all([
      loadFixtureVlm(FIXTURE_VLM),
      loadFixtureVlm(FIXTURE_VLM_EXPORT),
      loadFixtureRelevance(),
    ]);
  }, 60_000);

  it('is read from its session: the feeds it lists, its template from tokenizer_config.json', () => {
    const s = other.decoder.sessions.decoder;
    expect(s.inputNames).toContain('use_cache_branch');
    expect(s.inputNames).toContain('num_logits_to_keep');
    expect(s.inputNames).not.toContain('position_ids');
    expect(other.decoder.contract).toEqual({
      positionIds: false,
      useCacheBranch: true,
      logitsToKeep: true,
    });
    expect(base.decoder.contract).toEqual({
      positionIds: true,
      useCacheBranch: false,
      logitsToKeep: false,
    });
    expect(text('fixture-vlm-export/tokenizer_config.json')).toContain('chat_template');
    expect(() => text('fixture-vlm-export/chat_template.json')).toThrow();
  });

  it('answers a question as the same weights behind the other interface do', async () => {
    const ort = onnxRuntime();
    const frames = patternFrames(2);
    const settings = HALF_TOME;
    const answers = [];
    for (const vlm of [base, other]) {
      const video = await encodeVideo(ort, vlm, relevance, frames, 6);
      const q = 'What colour was the triangle?';
      const { selection, kept } = await selectTokens(
        cpuPath(cpuBackend()),
        relevance,
        video,
        q,
        settings,
      );
      // prefill in chunks of 7: the later chunks run the cache branch
      const chunked: LoadedVlm = {
        ...vlm,
        decoder: new KvDecoder(
          ort,
          vlm.decoder.sessions.embed,
          vlm.decoder.sessions.decoder,
          vlm.manifest.decoder,
          { prefillChunk: 7 },
        ),
      };
      const a = await answerQuestion(ort, chunked, video, selection, kept, {
        maxNewTokens: 8,
        temperature: 0,
        topP: 1,
        prefillLogits: true,
      });
      answers.push(a);
    }
    const [a, b] = answers;
    expect(b!.generation.ids.length).toBeGreaterThan(0);
    expect(b!.generation.ids).toEqual(a!.generation.ids);
    const rowA = a!.generation.lastPrefillLogits!;
    const rowB = b!.generation.lastPrefillLogits!;
    expect(rowB.length).toBe(FIXTURE_VLM.decoder.vocab);
    let worst = 0;
    rowA.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - rowB[i]!))));
    expect(worst).toBeLessThan(1e-4);
  }, 60_000);

  it('asked for the last position only, it returns one logits row; the reference reads it', async () => {
    const ort = onnxRuntime();
    const rows = new Float32Array(2 * FIXTURE_VLM.vision.hidden).map((_, i) => Math.sin(i));
    const frames = [{ t: 0, keep: 2 }];
    const ra = await referenceLogits(ort, base, 'How many?', frames, 2, rows);
    const rb = await referenceLogits(ort, other, 'How many?', frames, 2, rows);
    let worst = 0;
    ra.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - rb[i]!))));
    expect(worst).toBeLessThan(1e-4);
    const ids = other.prompt.encode('abc');
    const e = await other.decoder.embedIds(ids);
    const { past } = cacheNames(FIXTURE_VLM.decoder);
    const feeds = {
      inputs_embeds: e,
      attention_mask: new ort.Tensor('int64', new BigInt64Array(ids.length).fill(1n), [
        1,
        ids.length,
      ]),
      use_cache_branch: new ort.Tensor('bool', Uint8Array.of(0), [1]),
      num_logits_to_keep: new ort.Tensor('int64', BigInt64Array.of(1n), []),
      ...Object.fromEntries(
        past.map((n) => [n, new ort.Tensor('float32', new Float32Array(0), [1, 2, 0, 16])]),
      ),
    };
    const out = await other.decoder.sessions.decoder.run(feeds);
    expect(out.logits!.dims).toEqual([1, 1, FIXTURE_VLM.decoder.vocab]);
  });

  it('an export that lacks what the loop needs is refused, naming it', () => {
    const names = cacheNames(FIXTURE_VLM.decoder);
    const session = {
      inputNames: ['inputs_embeds', 'attention_mask', 'token_type_ids', ...names.past.slice(1)],
      outputNames: ['logits', ...names.present.slice(0, 2)],
    };
    let err: unknown;
    try {
      decoderContract(session, FIXTURE_VLM.decoder, 'onnx/decoder_model_merged.onnx');
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'bad-model' });
    const message = (err as Error).message;
    expect(message).toContain(
      'onnx/decoder_model_merged.onnx has no input "past_key_values.0.key"',
    );
    expect(message).toContain('no output "present.1.key", "present.1.value"');
    expect(message).toContain('an input kvtp-web cannot feed: "token_type_ids"');
  });
});
