// The prompt a video question becomes, as SmolVLM2's processor builds it for a video: an intro
// with the frame count and the duration, then per frame "\nFrame from MM:SS:" and the frame's
// image block, an outro, then the question; all of it the user turn of the model's chat
// template (rendered with @huggingface/jinja) and tokenized with the model's own tokenizer
// (@huggingface/tokenizers). With KVTP, frame i's block holds k_i image placeholders, not N.

import { Template } from '@huggingface/jinja';
import { Tokenizer } from '@huggingface/tokenizers';
import type { VlmManifest } from '../models/manifest.ts';

/** One sampled frame in the prompt: its time and the tokens it kept. */
export interface PromptFrame {
  readonly t: number;
  readonly keep: number;
}

export interface BuiltPrompt {
  readonly text: string;
  readonly ids: number[];
  /** Positions of the image placeholders in `ids`, in order (where kept tokens are spliced). */
  readonly imagePositions: Uint32Array;
}

/** MM:SS (or H:MM:SS past an hour), as the processor writes frame times. */
export function clock(seconds: number, withHours = false): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return withHours || h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** The video part of the user turn: intro, one line per frame with its image block, outro. */
export function videoText(
  frames: readonly PromptFrame[],
  duration: number,
  tokens: VlmManifest['tokens'],
): string {
  const intro = `You are provided the following series of ${frames.length} frames from a ${clock(duration, true)} [H:MM:SS] video.\n`;
  const lines = frames.map(
    (f) =>
      `\nFrame from ${clock(f.t)}:${tokens.frameStart}${tokens.imageText.repeat(f.keep)}${tokens.frameEnd}`,
  );
  return `${intro}${lines.join('')}\n\n`;
}

/** A chat template from `chat_template.json` ({chat_template}) or tokenizer_config.json. */
export function templateOf(json: unknown): string {
  const t = (json as { chat_template?: unknown }).chat_template;
  if (typeof t !== 'string') throw new Error('The model package has no chat template');
  return t;
}

export class PromptBuilder {
  private readonly template: Template;
  private readonly tokenizer: Tokenizer;

  constructor(
    tokenizerJson: object,
    tokenizerConfig: object,
    chatTemplate: string,
    private readonly manifest: Pick<VlmManifest, 'tokens'>,
  ) {
    this.tokenizer = new Tokenizer(tokenizerJson, tokenizerConfig);
    this.template = new Template(chatTemplate);
  }

  /** The prompt for `question` about `frames` of a video of `duration` seconds. */
  build(question: string, frames: readonly PromptFrame[], duration: number): BuiltPrompt {
    const userText = videoText(frames, duration, this.manifest.tokens) + question.trim();
    const text = this.template.render({
      messages: [{ role: 'user', content: [{ type: 'text', text: userText }] }],
      add_generation_prompt: true,
      bos_token: '',
      eos_token: '',
    });
    const ids = this.tokenizer.encode(text, { add_special_tokens: false }).ids;
    const image = this.manifest.tokens.image;
    const positions: number[] = [];
    ids.forEach((id, i) => id === image && positions.push(i));
    const kept = frames.reduce((a, f) => a + f.keep, 0);
    if (positions.length !== kept) {
      throw new Error(`prompt: ${positions.length} image placeholders for ${kept} kept tokens`);
    }
    return { text, ids, imagePositions: Uint32Array.from(positions) };
  }

  /** Text of generated ids (special tokens dropped). */
  decode(ids: readonly number[]): string {
    return ids.length ? this.tokenizer.decode([...ids], { skip_special_tokens: true }) : '';
  }

  /** Ids of a plain text (no special tokens added). */
  encode(text: string): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: false }).ids;
  }
}
