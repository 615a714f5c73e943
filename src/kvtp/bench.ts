// Kernel timings, CPU reference against the GPU path, for `npm run bench:kernels`. The same
// code runs in Node (Dawn) and in the pipeline worker in Chromium. GPU time is the reduction's
// dispatch chain from encoding to queue completion with the tokens already on the GPU (as the
// vision encoder leaves them), its buffers taken from a pool that the warm-up run filled (as
// the app's repeated selections would); CPU time is the reference on the same data, also after
// a warm-up run (JIT). Both are medians of `runs`. No readback timed. The GPU side is the very
// backend the engine keeps per device (src/engine/device.ts: one GpuKvtp with its BufferPool),
// passed in, so its compiled kernels and pooled buffers are the ones questions reuse. In Node the wait for the
// GPU blocks in short sleeps (Dawn's Node binding spins a core while it waits; Chromium's not).

import type { GpuContext } from '../gpu/device.ts';
import { upload } from '../gpu/transfer.ts';
import { allocateCpu } from './allocate.ts';
import type { GpuKvtp } from './gpu/index.ts';
import { gatherCpu, reduceFramesCpu } from './reduce-cpu.ts';
import type { FrameTokens, GpuRows, ReductionMethod, Rows } from './types.ts';

export interface BenchShape {
  readonly name: string;
  readonly frames: number;
  readonly grid: readonly [number, number];
  readonly dim: number;
  /** Key width when keys are not the features. */
  readonly keyDim?: number;
}

/** The three shapes: SmolVLM2-like, LLaVA-OneVision-0.5B video, LLaVA-Video-7B. */
export const BENCH_SHAPES: readonly BenchShape[] = [
  { name: 'SmolVLM2 64×64×576', frames: 64, grid: [8, 8], dim: 576 },
  { name: 'LLaVA-OV-0.5B 64×196×896', frames: 64, grid: [14, 14], dim: 896 },
  {
    name: 'LLaVA-Video-7B 64×169×3584, keys 1152',
    frames: 64,
    grid: [13, 13],
    dim: 3584,
    keyDim: 1152,
  },
];

export interface BenchRow {
  readonly shape: string;
  readonly method: ReductionMethod;
  readonly keptTokens: number;
  /** Median of the timed CPU runs (after one untimed), or null when not asked. */
  readonly cpuMs: number | null;
  /** Median of the timed GPU runs (after one untimed). */
  readonly gpuMs: number;
  readonly gpuRuns: number;
}

function gaussian(n: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const u = s / 2 ** 32 + 1e-12;
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = Math.sqrt(-2 * Math.log(u)) * Math.cos((2 * Math.PI * s) / 2 ** 32);
  }
  return out;
}

function benchTokens(shape: BenchShape, seed = 1): FrameTokens {
  const N = shape.grid[0] * shape.grid[1];
  const L = shape.frames;
  return {
    frames: L,
    tokens: N,
    grid: [shape.grid[0], shape.grid[1]],
    dim: shape.dim,
    features: gaussian(L * N * shape.dim, seed),
    keyDim: shape.keyDim ?? shape.dim,
    keys: shape.keyDim ? gaussian(L * N * shape.keyDim, seed + 1) : null,
    importance: null,
  };
}

/** KVTP budgets (exact mode, T = 2) from random scores at `keepRatio`. */
function benchBudgets(t: FrameTokens, keepRatio: number): number[] {
  const scores = Array.from(gaussian(t.frames, 7), (x) => 3 * x);
  return allocateCpu(scores, {
    keepRatio,
    temperature: 2,
    mode: 'exact',
    tokensPerFrame: t.tokens,
  }).keep!.slice();
}

/**
 * The queue's work done. Dawn's Node binding busy-polls the main thread while a GPU promise is
 * pending, taking a core from SwiftShader's workers; in Node this waits in 0.5 ms blocking
 * sleeps instead, letting the binding poll once between them. (Chromium: a plain await.)
 */
async function workDone(device: GPUDevice): Promise<void> {
  const node = typeof process !== 'undefined' && Boolean(process.versions?.node);
  if (!node) return device.queue.onSubmittedWorkDone();
  const cell = new Int32Array(new SharedArrayBuffer(4));
  let done = false;
  void device.queue.onSubmittedWorkDone().then(() => (done = true));
  while (!done) {
    Atomics.wait(cell, 0, 0, 0.5);
    await new Promise((r) => setImmediate(r));
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Time every method on `shape`: the CPU reference (when asked) and the GPU, `runs` times each. */
export async function benchShape(
  { ctx, kvtp: gpu }: { readonly ctx: GpuContext; readonly kvtp: GpuKvtp },
  shape: BenchShape,
  methods: readonly ReductionMethod[],
  options: { keepRatio?: number; runs?: number; cpu?: boolean } = {},
): Promise<BenchRow[]> {
  const { keepRatio = 0.2, runs = 5, cpu = true } = options;
  const t = benchTokens(shape);
  const keep = benchBudgets(t, keepRatio);
  const features = upload(ctx, t.features);
  const keys = t.keys ? upload(ctx, t.keys) : null;
  const rowsOf = (buffer: GPUBuffer, width: number): GpuRows => ({
    kind: 'gpu-rows',
    buffer,
    rows: t.frames * t.tokens,
    width,
  });
  const onGpu: FrameTokens<Rows> = {
    ...t,
    features: rowsOf(features, t.dim),
    keys: keys && rowsOf(keys, t.keyDim),
  };
  const rows: BenchRow[] = [];
  try {
    for (const method of methods) {
      const params = { method, keep, seed: 1 };
      let cpuMs: number | null = null;
      if (cpu) {
        const times: number[] = [];
        for (let i = 0; i <= runs; i++) {
          const start = performance.now();
          gatherCpu(reduceFramesCpu(t, params), t.dim);
          if (i > 0) times.push(performance.now() - start); // the first run warms the JIT
        }
        cpuMs = median(times);
      }
      const times: number[] = [];
      for (let i = 0; i <= runs; i++) {
        const start = performance.now();
        const enc = ctx.device.createCommandEncoder({ label: 'bench' });
        const g = gpu.encodeReduce(enc, onGpu, params);
        ctx.device.queue.submit([enc.finish()]);
        await workDone(ctx.device);
        const ms = performance.now() - start;
        g.release();
        if (i > 0) times.push(ms); // the first run compiles the pipelines and fills the pool
      }
      rows.push({
        shape: shape.name,
        method,
        keptTokens: method === 'none' ? t.frames * t.tokens : keep.reduce((a, b) => a + b, 0),
        cpuMs,
        gpuMs: median(times),
        gpuRuns: times.length,
      });
    }
  } finally {
    features.destroy();
    keys?.destroy();
  }
  return rows;
}
