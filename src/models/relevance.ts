// The relevance model: frame embeddings (batched, once per video) and question embeddings (the
// text cut into windows of the text encoder's length, each padded), then frame scores through
// the KVTP predictor head (src/kvtp): SigLIP's logit, or the learned head when the package has one.

import { Tokenizer } from '@huggingface/tokenizers';
import type { KvtpBackend, MlpHeadWeights, PredictorHead, ScoreInput } from '../kvtp/types.ts';
import { castTo, inputType, readFloat32 } from './dtype.ts';
import type { RelevanceManifest } from './manifest.ts';
import type { Ort, OrtSession, OrtTensor } from './ort.ts';

/** Token windows of `length` covering `ids` (at least one), each padded with `pad`. */
export function textWindows(ids: readonly number[], length: number, pad: number): number[][] {
  const windows: number[][] = [];
  for (let i = 0; i < Math.max(1, ids.length); i += length) {
    const w = ids.slice(i, i + length);
    while (w.length < length) w.push(pad);
    windows.push(w);
  }
  return windows;
}

export class RelevanceModel {
  private readonly tokenizer: Tokenizer;

  constructor(
    private readonly ort: Ort,
    readonly manifest: RelevanceManifest,
    private readonly text: OrtSession,
    private readonly vision: OrtSession,
    tokenizerJson: object,
    tokenizerConfig: object,
    /** The learned predictor head, when the package has one. */
    readonly head: MlpHeadWeights | null,
  ) {
    this.tokenizer = new Tokenizer(tokenizerJson, tokenizerConfig);
  }

  /** The head to score with: the learned one when asked for and present, else SigLIP's logit. */
  predictor(learned: boolean): PredictorHead {
    if (learned && this.head) return { kind: 'learned', weights: this.head };
    return { kind: 'logit', scale: this.manifest.logitScale, bias: this.manifest.logitBias };
  }

  /** Question embeddings [W·E], one per window of the text encoder's length. */
  async embedQuestion(question: string): Promise<{ data: Float32Array; windows: number }> {
    const { textLength, padToken, embedDim, textOutput } = this.manifest;
    const ids = this.tokenizer.encode(question.trim(), { add_special_tokens: true }).ids;
    const windows = textWindows(ids, textLength, padToken);
    const input = new this.ort.Tensor('int64', BigInt64Array.from(windows.flat(), BigInt), [
      windows.length,
      textLength,
    ]);
    const out = await this.text.run({ input_ids: input });
    input.dispose();
    const data = await readEmbeddings(out[textOutput], windows.length, embedDim, textOutput);
    return { data, windows: windows.length };
  }

  /** Frame embeddings [L·E] from preprocessed pixels [L, 3, H, W] (f32; f16 models get a copy). */
  async embedFrames(pixels: OrtTensor): Promise<Float32Array> {
    const { embedDim, imageOutput } = this.manifest;
    const input = castTo(this.ort, pixels, inputType(this.vision, 'pixel_values'));
    const out = await this.vision.run({ pixel_values: input });
    if (input !== pixels) input.dispose();
    return readEmbeddings(out[imageOutput], pixels.dims[0]!, embedDim, imageOutput);
  }

  /** Frame scores for `question` against frame embeddings, through `backend`'s head. */
  async scores(
    backend: KvtpBackend,
    frameEmbeddings: Float32Array,
    question: string,
    learned: boolean,
  ): Promise<Float32Array> {
    return backend.scores(await this.scoreInput(frameEmbeddings, question, learned));
  }

  /** What the relevance head scores: the frames' embeddings against the question's windows. */
  async scoreInput(
    frameEmbeddings: Float32Array,
    question: string,
    learned: boolean,
  ): Promise<ScoreInput> {
    const text = await this.embedQuestion(question);
    const dim = this.manifest.embedDim;
    return {
      image: frameEmbeddings,
      text: text.data,
      frames: frameEmbeddings.length / dim,
      windows: text.windows,
      dim,
      head: this.predictor(learned),
    };
  }
}

async function readEmbeddings(
  t: OrtTensor | undefined,
  rows: number,
  dim: number,
  name: string,
): Promise<Float32Array> {
  if (!t) throw new Error(`The relevance model has no output "${name}"`);
  const data = await readFloat32(t);
  t.dispose();
  if (data.length !== rows * dim) {
    throw new Error(
      `The relevance model's "${name}" is ${data.length / rows} wide, expected ${dim}`,
    );
  }
  return data;
}
