// An independent reference for the answer's first step, for tests and diagnostics: the last
// prefill logits row of a prompt built without the pipeline's own splice, chunking, GPU buffers
// or KV-cache handling. The prompt's ids come from the prompt builder (checked against the ids
// the demo decoder was trained on elsewhere); its placeholder rows are found by scanning the ids
// for the image token and filled in order from `rows`; the decoder runs once over the whole
// prompt with an empty cache on CPU tensors. Reads logits (and, on the GPU path, the vision
// tokens) back: never used while answering.

import { cpuBackend } from '../kvtp/cpu.ts';
import { castTo, inputType, readFloat32 } from '../models/dtype.ts';
import type { Ort, OrtTensor } from '../models/ort.ts';
import { readback } from '../gpu/transfer.ts';
import type { SelectionSettings } from '../kvtp/selection.ts';
import { cacheNames } from './decoder.ts';
import { optionalFeeds } from './decoder-feeds.ts';
import { frameTokens, type LoadedVlm, type VideoFeatures } from './pipeline.ts';
import type { PromptFrame } from './prompt.ts';

/** The last logits row of `question` about `frames`, their placeholders filled with `rows`. */
export async function referenceLogits(
  ort: Ort,
  vlm: LoadedVlm,
  question: string,
  frames: readonly PromptFrame[],
  duration: number,
  rows: Float32Array,
): Promise<Float32Array> {
  const m = vlm.manifest;
  const D = m.vision.hidden;
  const ids = vlm.prompt.build(question, frames, duration).ids;
  const { embed, decoder } = vlm.decoder.sessions;
  const idTensor = new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]);
  const embedded = (await embed.run({ input_ids: idTensor })).inputs_embeds!;
  idTensor.dispose();
  const embeds = new Float32Array(await readFloat32(embedded));
  embedded.dispose();
  let j = 0;
  for (let i = 0; i < ids.length; i++) {
    if (ids[i] !== m.tokens.image) continue;
    embeds.set(rows.subarray(j * D, (j + 1) * D), i * D);
    j++;
  }
  if (j * D !== rows.length) {
    throw new Error(`reference: ${j} placeholders for ${rows.length / D} rows`);
  }
  const S = ids.length;
  const { kvHeads, headDim } = m.decoder;
  const half = inputType(decoder, cacheNames(m.decoder).past[0]!) === 'float16';
  const feeds: Record<string, OrtTensor> = {
    inputs_embeds: castTo(
      ort,
      new ort.Tensor('float32', embeds, [1, S, D]),
      inputType(decoder, 'inputs_embeds'),
    ),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(S).fill(1n), [1, S]),
    ...optionalFeeds(ort, vlm.decoder.contract, 0, S),
  };
  for (const name of cacheNames(m.decoder).past) {
    const dims = [1, kvHeads, 0, headDim];
    feeds[name] = half
      ? new ort.Tensor('float16', new Uint16Array(0), dims)
      : new ort.Tensor('float32', new Float32Array(0), dims);
  }
  const out = await decoder.run(feeds);
  Object.values(feeds).forEach((t) => t.dispose());
  const logits = out.logits!;
  const [, kept, vocab] = logits.dims as [number, number, number];
  const row = (await readFloat32(logits)).slice((kept - 1) * vocab, kept * vocab);
  Object.values(out).forEach((t) => t.dispose());
  return row;
}

/** The video's vision tokens on the CPU (read back from the GPU when they live there). */
export async function visionTokensOnCpu(
  video: VideoFeatures,
  device: GPUDevice | null,
): Promise<Float32Array> {
  const t = video.tokens;
  if (t.cpu) return t.cpu;
  if (!t.gpu || !device) throw new Error('reference: the vision tokens are nowhere');
  return new Float32Array(await readback(device, t.gpu, t.frames * t.tokens * t.dim * 4));
}

/**
 * The reference rows for a selection: the CPU reference reduction (src/kvtp's semantics) at the
 * selection's own budgets, in time and grid order; and all tokens, unpruned.
 */
export async function referenceRows(
  tokens: Float32Array,
  video: VideoFeatures,
  settings: SelectionSettings,
  budgets: readonly number[],
): Promise<{ reduced: Float32Array; unpruned: Float32Array }> {
  const t = frameTokens(video.tokens, tokens);
  const reduced = await cpuBackend().reduce(t, {
    method: settings.method,
    keep: budgets,
    seed: settings.seed,
  });
  return { reduced: reduced.features, unpruned: tokens };
}
