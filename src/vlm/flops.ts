// Estimated prefill FLOPs of a Llama-style decoder (multiply-add = 2 FLOPs), to compare a pruned
// prompt with the unpruned one. Counts the projections, the SwiGLU MLP, causal attention and the
// LM head over every position (the merged decoder computes logits for all of them).

export interface DecoderShape {
  readonly layers: number;
  readonly hidden: number;
  readonly intermediate: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly headDim: number;
  readonly vocab: number;
}

export function prefillFlops(s: DecoderShape, n: number): number {
  const q = s.heads * s.headDim;
  const kv = s.kvHeads * s.headDim;
  const perTokenPerLayer =
    2 * s.hidden * q + 2 * 2 * s.hidden * kv + 2 * q * s.hidden + 2 * 3 * s.hidden * s.intermediate;
  // Causal attention: position i attends to i keys: Σ i ≈ n(n+1)/2, for QKᵀ and AV.
  const attention = 2 * 2 * s.heads * s.headDim * ((n * (n + 1)) / 2);
  return n * s.layers * perTokenPerLayer + s.layers * attention + n * 2 * s.hidden * s.vocab;
}
