// Frame scores on the GPU (shaders/relevance.wgsl): the relevance head for every frame and
// question window in one dispatch, one readback (or feeding the allocation on the GPU, allocate.ts).
// The reference is src/kvtp/scores.ts.

import relevanceWgsl from '../../../shaders/relevance.wgsl?raw';
import { readbackMany } from '../../gpu/transfer.ts';
import { UNIFORM } from '../../gpu/usage.ts';
import { checkScoreInput } from '../scores.ts';
import type { ScoreInput } from '../types.ts';
import { R, scratch, U, uploadData, W, type KernelSpec, type Kernels } from './kernels.ts';
import { headKind, ScoreParams } from './layouts.ts';

const RELEVANCE: KernelSpec = {
  name: 'relevance',
  code: relevanceWgsl,
  bindings: [U, R, R, R, R, R, W],
};

/** The scores' kernel recorded into `enc`: `scores` is written ([frames] f32), `release` frees. */
export function encodeScores(
  kernels: Kernels,
  enc: GPUCommandEncoder,
  input: ScoreInput,
): { scores: GPUBuffer; release(): void } {
  checkScoreInput(input);
  const { ctx } = kernels;
  const { frames, windows, dim, head } = input;
  const mlp = head.kind === 'learned' ? head.weights : null;
  const family = kernels.family(RELEVANCE);
  const params = ScoreParams.pack({
    frames,
    windows,
    dim,
    hidden: mlp?.hidden ?? 0,
    kind: headKind(head),
    scale: head.kind === 'logit' ? head.scale : 0,
    bias: head.kind === 'logit' ? head.bias : 0,
    b2: mlp?.b2 ?? 0,
  });
  const empty = new Float32Array(4);
  const buffers = [
    uploadData(ctx, new Uint8Array(params), 'score params', UNIFORM),
    uploadData(ctx, input.image, 'image embeddings'),
    uploadData(ctx, input.text, 'text embeddings'),
    uploadData(ctx, mlp?.w1 ?? empty, 'head w1'),
    uploadData(ctx, mlp?.b1 ?? empty, 'head b1'),
    uploadData(ctx, mlp?.w2 ?? empty, 'head w2'),
    scratch(ctx.device, frames * 4, 'scores'),
  ];
  family.dispatch(enc, 'scoreFrames', family.bind(buffers), frames);
  return { scores: buffers[6]!, release: () => buffers.forEach((b) => b.destroy()) };
}

/** s_i for all frames (see KvtpBackend.scores): one dispatch, one readback. */
export async function scoresOnGpu(kernels: Kernels, input: ScoreInput): Promise<Float32Array> {
  const { device } = kernels.ctx;
  const enc = device.createCommandEncoder({ label: 'scores' });
  const run = encodeScores(kernels, enc, input);
  try {
    device.queue.submit([enc.finish()]);
    const [out] = await readbackMany(device, [
      { buffer: run.scores, byteLength: input.frames * 4 },
    ]);
    return new Float32Array(out!);
  } finally {
    run.release();
  }
}
