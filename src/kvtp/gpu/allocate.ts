// Per-frame budgets on the GPU (shaders/allocate.wgsl): one workgroup for all frames, one
// readback of the rates and budgets (with the scores too when they come from the GPU in the same
// submit). The reference is src/kvtp/allocate.ts.

import allocateWgsl from '../../../shaders/allocate.wgsl?raw';
import { readbackMany } from '../../gpu/transfer.ts';
import { UNIFORM } from '../../gpu/usage.ts';
import {
  checkAllocation,
  checkAllocationParams,
  checkScores,
  effectiveMin,
  PAPER_SNAP,
  totalBudget,
  uniformKeep,
} from '../allocate.ts';
import type { Allocation, AllocationParams, ScoreInput } from '../types.ts';
import { encodeScores } from './relevance.ts';
import { R, scratch, U, uploadData, W, type KernelSpec, type Kernels } from './kernels.ts';
import { AllocationModeCode, AllocParams } from './layouts.ts';

/** The widest allocation workgroup; each invocation loops over frames i, i + WG, … */
const ALLOCATION_WG_MAX = 256;

const ALLOCATE: KernelSpec = { name: 'allocate', code: allocateWgsl, bindings: [U, R, W, W, W] };

/** The allocation's kernel recorded into `enc`, reading the L scores from `scores` (a GPU buffer). */
function encodeAllocate(
  kernels: Kernels,
  enc: GPUCommandEncoder,
  scores: GPUBuffer,
  L: number,
  p: AllocationParams,
): { rates: GPUBuffer; keep: GPUBuffer; release(): void } {
  checkAllocationParams(L, p);
  const { ctx } = kernels;
  const N = p.tokensPerFrame ?? 0;
  const total = N ? totalBudget(L, N, p.keepRatio) : 0;
  // a workgroup no wider than the frames need (a power of two, 32 to 256): idle invocations
  // still wait at every barrier of the reductions
  const wg = Math.min(ALLOCATION_WG_MAX, Math.max(32, 2 ** Math.ceil(Math.log2(L))));
  const family = kernels.family(ALLOCATE, { overrides: { WG: wg } });
  const params = AllocParams.pack({
    frames: L,
    tokens: N,
    mode: AllocationModeCode[p.mode],
    total,
    minPerFrame: N ? effectiveMin(L, N, total, p.minPerFrame ?? 1) : 0,
    uniformKeep: N ? uniformKeep(N, p.keepRatio) : 0,
    keepRatio: p.keepRatio,
    temperature: p.temperature,
    snap: PAPER_SNAP,
    tomePaper: p.method === 'tome' ? 1 : 0,
  });
  const own = [
    uploadData(ctx, new Uint8Array(params), 'allocation params', UNIFORM),
    scratch(ctx.device, L * 4, 'rates'),
    scratch(ctx.device, L * 4, 'keep'),
    scratch(ctx.device, L * 4, 'ranked values'),
  ];
  family.dispatch(enc, 'allocate', family.bind([own[0]!, scores, ...own.slice(1)]), 1);
  return { rates: own[1]!, keep: own[2]!, release: () => own.forEach((b) => b.destroy()) };
}

function allocationOf(rates: ArrayBuffer, keep: ArrayBuffer, p: AllocationParams): Allocation {
  const out = { rates: Array.from(new Float32Array(rates)) };
  return p.tokensPerFrame ? { ...out, keep: Array.from(new Uint32Array(keep)) } : out;
}

/** Rates and budgets from scores (see KvtpBackend.allocate): one dispatch, one readback. */
export async function allocateOnGpu(
  kernels: Kernels,
  scores: ArrayLike<number>,
  p: AllocationParams,
): Promise<Allocation> {
  checkAllocation(scores, p);
  const { ctx } = kernels;
  const L = scores.length;
  const input = uploadData(ctx, Float32Array.from(scores), 'scores');
  const enc = ctx.device.createCommandEncoder({ label: 'allocate' });
  const run = encodeAllocate(kernels, enc, input, L, p);
  try {
    ctx.device.queue.submit([enc.finish()]);
    const [rates, keep] = await readbackMany(ctx.device, [
      { buffer: run.rates, byteLength: L * 4 },
      { buffer: run.keep, byteLength: L * 4 },
    ]);
    return allocationOf(rates!, keep!, p);
  } finally {
    run.release();
    input.destroy();
  }
}

/**
 * Scores and budgets in one submit (see KvtpBackend.scoreAndAllocate): the scores feed the
 * allocation on the GPU, and scores, rates and budgets come back in one readback.
 */
export async function scoreAndAllocateOnGpu(
  kernels: Kernels,
  input: ScoreInput,
  p: AllocationParams,
): Promise<{ scores: Float32Array; allocation: Allocation }> {
  const L = input.frames;
  checkAllocationParams(L, p);
  const { device } = kernels.ctx;
  const enc = device.createCommandEncoder({ label: 'scores and allocation' });
  const scored = encodeScores(kernels, enc, input);
  try {
    const run = encodeAllocate(kernels, enc, scored.scores, L, p);
    try {
      device.queue.submit([enc.finish()]);
      const [scores, rates, keep] = await readbackMany(device, [
        { buffer: scored.scores, byteLength: L * 4 },
        { buffer: run.rates, byteLength: L * 4 },
        { buffer: run.keep, byteLength: L * 4 },
      ]);
      const s = new Float32Array(scores!);
      checkScores(s); // a head that gave NaN or ∞: its budgets mean nothing
      return { scores: s, allocation: allocationOf(rates!, keep!, p) };
    } finally {
      run.release();
    }
  } finally {
    scored.release();
  }
}
