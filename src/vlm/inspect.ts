// The answer's first step against independent references (generation.inspectPrefill, for tests
// and diagnostics): the pipeline's last prefill logits row, the same prompt with the CPU
// reference reduction at the same budgets (src/vlm/reference.ts), and the unpruned prompt.
// Runs after the answer, so the answer's own transfers and timings are not affected.

import { onnxRuntime } from '../models/ort.ts';
import type { Selection } from '../kvtp/selection.ts';
import type { GenerateResult } from './decoder.ts';
import type { LoadedVlm, VideoFeatures } from './pipeline.ts';
import { referenceLogits, referenceRows, visionTokensOnCpu } from './reference.ts';

export async function inspectPrefill(
  vlm: LoadedVlm,
  video: VideoFeatures,
  sel: Selection,
  device: GPUDevice | null,
  gen: GenerateResult,
): Promise<{ prefillLogits: number[]; referenceLogits: number[]; unprunedLogits: number[] }> {
  const ort = onnxRuntime();
  const tokens = await visionTokensOnCpu(video, device);
  const budgets = sel.frames.map((f) => f.keep);
  const rows = await referenceRows(tokens, video, sel.settings, budgets);
  const frames = sel.frames.map((f) => ({ t: f.t, keep: f.keep }));
  const all = sel.frames.map((f) => ({ t: f.t, keep: f.tokens }));
  const reference = await referenceLogits(
    ort,
    vlm,
    sel.question,
    frames,
    video.duration,
    rows.reduced,
  );
  const unpruned = await referenceLogits(
    ort,
    vlm,
    sel.question,
    all,
    video.duration,
    rows.unpruned,
  );
  return {
    prefillLogits: Array.from(gen.lastPrefillLogits ?? []),
    referenceLogits: Array.from(reference),
    unprunedLogits: Array.from(unpruned),
  };
}
