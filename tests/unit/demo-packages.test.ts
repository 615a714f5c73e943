// The embedded demo's packages (public/models/demo-*, made by tools/demo/package.py): the
// registry says what their files say, the learned head reads, and the app's prompt builder (chat
// template + @huggingface/tokenizers) gives exactly the ids the demo model was trained on.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseHeadFile } from '../../src/kvtp/head-file.ts';
import {
  DEFAULT_RELEVANCE,
  DEFAULT_VLM,
  DEMO_RELEVANCE,
  DEMO_VLM,
} from '../../src/models/registry.ts';
import { PromptBuilder } from '../../src/vlm/prompt.ts';

const pkg = <T = object>(id: string, file: string): T =>
  JSON.parse(
    readFileSync(new URL(`../../public/models/${id}/${file}`, import.meta.url), 'utf8'),
  ) as T;

interface Golden {
  question: string;
  times: number[];
  duration: number;
  keep: number[];
  text: string;
  ids: number[];
  answer: string;
  answer_ids: number[];
}
const golden = JSON.parse(
  readFileSync(new URL('../fixtures/demo-prompts.json', import.meta.url), 'utf8'),
) as Golden[];

describe('demo packages', () => {
  it('are the app’s defaults', () => {
    expect(DEFAULT_VLM).toBe(DEMO_VLM);
    expect(DEFAULT_RELEVANCE).toBe(DEMO_RELEVANCE);
  });

  it('the VLM manifest matches its config files', () => {
    const c = pkg<{
      image_token_id: number;
      text_config: Record<string, number>;
      vision_config: { image_size: number; tokens_per_image: number; grid: number[] };
    }>('demo-vlm', 'config.json');
    const t = c.text_config;
    expect(DEMO_VLM.decoder).toMatchObject({
      layers: t.num_hidden_layers,
      heads: t.num_attention_heads,
      kvHeads: t.num_key_value_heads,
      headDim: t.head_dim,
      intermediate: t.intermediate_size,
      vocab: t.vocab_size,
    });
    expect(DEMO_VLM.vision).toMatchObject({
      hidden: t.hidden_size,
      tokensPerFrame: c.vision_config.tokens_per_image,
      grid: c.vision_config.grid,
    });
    expect(DEMO_VLM.image.width).toBe(c.vision_config.image_size);
    expect(DEMO_VLM.tokens).toMatchObject({
      image: c.image_token_id,
      eos: [t.eos_token_id],
      pad: t.pad_token_id,
      bos: null,
    });
  });

  it('the relevance manifest has the trained scale and bias, and its head reads', () => {
    const c = pkg<{
      logit_scale: number;
      logit_bias: number;
      projection_dim: number;
      text_config: { max_position_embeddings: number; pad_token_id: number };
      vision_config: { image_size: number };
    }>('demo-relevance', 'config.json');
    expect(DEMO_RELEVANCE.logitScale).toBeCloseTo(Math.exp(c.logit_scale), 4);
    expect(DEMO_RELEVANCE.logitBias).toBeCloseTo(c.logit_bias, 4);
    expect(DEMO_RELEVANCE.embedDim).toBe(c.projection_dim);
    expect(DEMO_RELEVANCE.textLength).toBe(c.text_config.max_position_embeddings);
    expect(DEMO_RELEVANCE.padToken).toBe(c.text_config.pad_token_id);
    expect(DEMO_RELEVANCE.image.width).toBe(c.vision_config.image_size);
    const head = parseHeadFile(
      readFileSync(
        new URL('../../public/models/demo-relevance/predictor_head.safetensors', import.meta.url),
      ).buffer as ArrayBuffer,
    );
    expect(head.inputDim).toBe(DEMO_RELEVANCE.embedDim);
    expect(head.w1).toHaveLength(head.hidden * 3 * head.inputDim);
  });

  it('the prompt builder gives the ids the model was trained on', () => {
    const prompt = new PromptBuilder(
      pkg('demo-vlm', 'tokenizer.json'),
      pkg('demo-vlm', 'tokenizer_config.json'),
      (pkg('demo-vlm', 'chat_template.json') as { chat_template: string }).chat_template,
      DEMO_VLM,
    );
    expect(golden.length).toBeGreaterThanOrEqual(3);
    for (const g of golden) {
      const built = prompt.build(
        g.question,
        g.times.map((t, i) => ({ t, keep: g.keep[i]! })),
        g.duration,
      );
      expect(built.text).toBe(g.text);
      expect(built.ids).toEqual(g.ids);
      expect(built.imagePositions).toHaveLength(g.keep.reduce((a, b) => a + b, 0));
      expect(prompt.decode(g.answer_ids).trim()).toBe(g.answer);
    }
  });
});
