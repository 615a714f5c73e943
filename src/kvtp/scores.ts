// Relevance scores of all frames against a question: the predictor head on embeddings. The
// SigLIP head is `scale · cos(text, image) + bias` (scale is the already exponentiated
// `logit_scale`); the learned head is a small MLP over [u, v, u ⊙ v] of the normalized
// embeddings. A question cut into W text windows gives each frame its maximum over windows.

import type { MlpHeadWeights, ScoreInput } from './types.ts';

/** Check the shapes of a score input; throws a plain message on a mismatch. */
export function checkScoreInput(input: ScoreInput): void {
  const { frames, windows, dim, image, text, head } = input;
  if (!(frames >= 1 && windows >= 1 && dim >= 1)) {
    throw new RangeError(`scores: need at least 1 frame, 1 window and width 1`);
  }
  if (image.length !== frames * dim) throw new RangeError(`scores: image is not ${frames}×${dim}`);
  if (text.length !== windows * dim) throw new RangeError(`scores: text is not ${windows}×${dim}`);
  if (head.kind === 'learned') checkHead(head.weights, dim);
}

function checkHead(w: MlpHeadWeights, dim: number): void {
  const { inputDim: e, hidden: h } = w;
  if (e !== dim) throw new RangeError(`predictor head expects width ${e}, embeddings are ${dim}`);
  if (w.w1.length !== h * 3 * e || w.b1.length !== h || w.w2.length !== h) {
    throw new RangeError(`predictor head: weights do not match hidden ${h} × input ${3 * e}`);
  }
}

/** erf by Abramowitz–Stegun 7.1.26 (|error| < 1.5e-7); the WGSL kernel uses the same formula. */
export function erf(x: number): number {
  const s = Math.sign(x);
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-a * a);
  return s * y;
}

export function gelu(x: number): number {
  return 0.5 * x * (1 + erf(x / Math.SQRT2));
}

function normalized(v: Float32Array, row: number, dim: number): Float64Array {
  const out = new Float64Array(dim);
  let n = 0;
  for (let c = 0; c < dim; c++) n += v[row * dim + c]! ** 2;
  const inv = n > 0 ? 1 / Math.sqrt(n) : 0;
  for (let c = 0; c < dim; c++) out[c] = v[row * dim + c]! * inv;
  return out;
}

/** The head's logit for one normalized (image u, text v) pair. */
function headLogit(u: Float64Array, v: Float64Array, head: ScoreInput['head']): number {
  const dim = u.length;
  if (head.kind === 'logit') {
    let dot = 0;
    for (let c = 0; c < dim; c++) dot += u[c]! * v[c]!;
    return head.scale * dot + head.bias;
  }
  const w = head.weights;
  let out = w.b2;
  for (let j = 0; j < w.hidden; j++) {
    const row = j * 3 * dim;
    let a = w.b1[j]!;
    for (let c = 0; c < dim; c++) {
      a +=
        w.w1[row + c]! * u[c]! +
        w.w1[row + dim + c]! * v[c]! +
        w.w1[row + 2 * dim + c]! * u[c]! * v[c]!;
    }
    out += w.w2[j]! * (w.activation === 'gelu' ? gelu(a) : Math.max(0, a));
  }
  return out;
}

/** CPU reference: s_i = max_w head(image_i, text_w). */
export function scoresCpu(input: ScoreInput): Float32Array {
  checkScoreInput(input);
  const { frames, windows, dim } = input;
  const texts = Array.from({ length: windows }, (_, w) => normalized(input.text, w, dim));
  const out = new Float32Array(frames);
  for (let i = 0; i < frames; i++) {
    const u = normalized(input.image, i, dim);
    let best = -Infinity;
    for (const v of texts) best = Math.max(best, headLogit(u, v, input.head));
    out[i] = best;
  }
  return out;
}
