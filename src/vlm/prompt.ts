// The prompt a video question becomes, as SmolVLM2's processor builds it for a video: an intro
// with the frame count and the duration, then per frame "\nFrame from MM:SS:" and the frame's
// image block, an outro, then the question; all of it the user turn of the model's chat
// template (rendered with @huggingface/jinja) and tokenized with the model's own tokenizer
// (@huggingface/tokenizers). With KVTP, frame i's block holds k_i image placeholders, not N.

import { Template } from '@huggingface/jinja';
import { Tokenizer } from '@huggingface/tokenizers';
import { modelError } from '../models/errors.ts';
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

/** A frame's time as the processor writes it: whole minutes (not wrapped at an hour) and seconds, MM:SS. */
export function frameClock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

/** A duration as Python's str(timedelta(seconds=int(d))) writes it: H:MM:SS, e.g. 0:00:16. */
export function durationClock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  return `${Math.floor(s / 3600)}:${mm}:${String(s % 60).padStart(2, '0')}`;
}

const ONES = (
  'zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen ' +
  'fifteen sixteen seventeen eighteen nineteen'
).split(' ');
const TENS = ['', '', 'twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];

/** English number words as the `num2words` package writes them (32 → thirty-two, 256 → two hundred and fifty-six). */
export function numberWords(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n >= 1000) return String(n);
  if (n < 20) return ONES[n]!;
  if (n < 100) return TENS[Math.floor(n / 10)]! + (n % 10 ? `-${ONES[n % 10]!}` : '');
  const rest = n % 100;
  return `${ONES[Math.floor(n / 100)]!} hundred${rest ? ` and ${numberWords(rest)}` : ''}`;
}

/**
 * The video part of the user turn as SmolVLM2's processor writes it: the intro (frame count in
 * words, duration H:MM:SS), one line per frame with its image block, the outro.
 */
export function videoText(
  frames: readonly PromptFrame[],
  duration: number,
  tokens: VlmManifest['tokens'],
): string {
  const intro = `You are provided the following series of ${numberWords(frames.length)} frames from a ${durationClock(duration)} [H:MM:SS] video.\n`;
  const lines = frames.map(
    (f) =>
      `\nFrame from ${frameClock(f.t)}:${tokens.frameStart}${tokens.imageText.repeat(f.keep)}${tokens.frameEnd}`,
  );
  return `${intro}${lines.join('')}\n\n`;
}

/** Where a package's chat template may be, in the order it is looked for (as transformers reads them). */
export const CHAT_TEMPLATE_FILES = [
  'chat_template.json',
  'chat_template.jinja',
  'tokenizer_config.json',
] as const;

/**
 * The chat template of a package whose files are read by `read` (null: the package has no such
 * file): `chat_template.json`'s `chat_template`, else `chat_template.jinja` as it is, else
 * `tokenizer_config.json`'s `chat_template` (a string, or the list of named templates whose
 * `default` one is used). Throws `missing-file` naming where it looked.
 */
export async function chatTemplateOf(
  read: (path: string) => Promise<string | null>,
  packageName: string,
): Promise<string> {
  const [json, jinja, config] = CHAT_TEMPLATE_FILES;
  const fromJson = (text: string | null, file: string): string | null => {
    if (text === null) return null;
    let value: unknown;
    try {
      value = (JSON.parse(text) as { chat_template?: unknown }).chat_template;
    } catch (e) {
      throw modelError('bad-model', `${packageName}: ${file} is not JSON`, e);
    }
    if (typeof value === 'string') return value;
    if (Array.isArray(value)) {
      const named = value as { name?: unknown; template?: unknown }[];
      const t = (named.find((x) => x.name === 'default') ?? named[0])?.template;
      if (typeof t === 'string') return t;
    }
    return null;
  };
  const found =
    fromJson(await read(json), json) ?? (await read(jinja)) ?? fromJson(await read(config), config);
  if (found !== null && found.trim() !== '') return found;
  throw modelError(
    'missing-file',
    `${packageName} has no chat template (looked for ${json}, ${jinja} and "chat_template" in ${config})`,
  );
}

/** `chatTemplateOf` over files already in memory. */
export function chatTemplateIn(files: ReadonlyMap<string, Blob>, packageName: string) {
  return chatTemplateOf(async (p) => (files.has(p) ? files.get(p)!.text() : null), packageName);
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
