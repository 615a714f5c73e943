// Per-frame budgets on the GPU (shaders/allocate.wgsl): one workgroup for all frames, one
// readback of the rates and budgets. The reference is src/kvtp/allocate.ts.

import allocateWgsl from '../../../shaders/allocate.wgsl?raw';
import { readbackMany } from '../../gpu/transfer.ts';
import { UNIFORM } from '../../gpu/usage.ts';
import {
  checkAllocation,
  effectiveMin,
  PAPER_SNAP,
  totalBudget,
  uniformKeep,
} from '../allocate.ts';
import type { Allocation, AllocationParams } from '../types.ts';
import { R, scratch, U, uploadData, W, type KernelSpec, type Kernels } from './kernels.ts';
import { AllocationModeCode, AllocParams } from './layouts.ts';

/** The widest allocation workgroup; each invocation loops over frames i, i + WG, … */
const ALLOCATION_WG_MAX = 256;

const ALLOCATE: KernelSpec = { name: 'allocate', code: allocateWgsl, bindings: [U, R, W, W, W] };

/** Rates and budgets from scores (see KvtpBackend.allocate). */
export async function allocateOnGpu(
  kernels: Kernels,
  scores: ArrayLike<number>,
  p: AllocationParams,
): Promise<Allocation> {
  checkAllocation(scores, p);
  const { ctx } = kernels;
  const L = scores.length;
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
  const buffers = [
    uploadData(ctx, new Uint8Array(params), 'allocation params', UNIFORM),
    uploadData(ctx, Float32Array.from(scores), 'scores'),
    scratch(ctx.device, L * 4, 'rates'),
    scratch(ctx.device, L * 4, 'keep'),
    scratch(ctx.device, L * 4, 'ranked values'),
  ];
  const enc = ctx.device.createCommandEncoder({ label: 'allocate' });
  family.dispatch(enc, 'allocate', family.bind(buffers), 1);
  ctx.device.queue.submit([enc.finish()]);
  const [rates, keep] = await readbackMany(ctx.device, [
    { buffer: buffers[2]!, byteLength: L * 4 },
    { buffer: buffers[3]!, byteLength: L * 4 },
  ]);
  buffers.forEach((b) => b.destroy());
  const out = { rates: Array.from(new Float32Array(rates!)) };
  return N ? { ...out, keep: Array.from(new Uint32Array(keep!)) } : out;
}
