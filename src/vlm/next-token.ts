// Choosing the next token. The GPU finds the K best candidates of the last logits row
// (shaders/top-k.wgsl) so that only K (value, id) pairs come back per step; the CPU then picks
// greedily, or samples with temperature and top-p among them (seeded).

import shader from '../../shaders/top-k.wgsl?raw';
import type { PipelineCache } from '../gpu/pipelines.ts';
import { bindBuffers } from '../gpu/pipelines.ts';
import { uniformLayout } from '../gpu/uniforms.ts';
import { BufferUsage, UNIFORM } from '../gpu/usage.ts';

export interface Candidates {
  readonly values: Float32Array;
  readonly ids: Uint32Array;
}

/** CPU reference of the kernel: the k largest of `row`, descending, ties by lower id. */
export function topKCpu(row: Float32Array, k: number): Candidates {
  const order = Array.from(row.keys()).sort((a, b) => row[b]! - row[a]! || a - b);
  const ids = Uint32Array.from(order.slice(0, k));
  return { ids, values: Float32Array.from(ids, (i) => row[i]!) };
}

/** Mirrors shaders/top-k.wgsl `Params` (tests/unit/wgsl-structs.test.ts checks it). */
export const TopKParams = uniformLayout({ vocab: 'u32', row: 'u32', k: 'u32' });

/** GPU top-K of one logits row, kept in reusable buffers; read back 2·K numbers per step. */
export class TopK {
  private readonly uniforms: GPUBuffer;
  private readonly values: GPUBuffer;
  private readonly ids: GPUBuffer;
  private readonly staging: GPUBuffer;

  constructor(
    private readonly device: GPUDevice,
    private readonly pipelines: PipelineCache,
    readonly k: number,
  ) {
    const storage = BufferUsage.STORAGE | BufferUsage.COPY_SRC;
    this.uniforms = device.createBuffer({ size: TopKParams.size, usage: UNIFORM, label: 'top-k' });
    this.values = device.createBuffer({ size: 4 * k, usage: storage, label: 'top-k values' });
    this.ids = device.createBuffer({ size: 4 * k, usage: storage, label: 'top-k ids' });
    this.staging = device.createBuffer({
      size: 8 * k,
      usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST,
      label: 'top-k staging',
    });
  }

  /** The K best candidates of row `row` of `logits` [rows·vocab]. */
  async run(logits: GPUBuffer, row: number, vocab: number): Promise<Candidates> {
    const { device, k } = this;
    device.queue.writeBuffer(this.uniforms, 0, TopKParams.pack({ vocab, row, k }));
    const pipeline = this.pipelines.compute(shader, 'top_k', { WG: 256 }, 'top-k');
    const encoder = device.createCommandEncoder({ label: 'top-k' });
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(
      0,
      bindBuffers(device, pipeline, [
        this.uniforms,
        { buffer: logits, offset: 0, size: logits.size },
        this.values,
        this.ids,
      ]),
    );
    pass.dispatchWorkgroups(1);
    pass.end();
    encoder.copyBufferToBuffer(this.values, 0, this.staging, 0, 4 * k);
    encoder.copyBufferToBuffer(this.ids, 0, this.staging, 4 * k, 4 * k);
    device.queue.submit([encoder.finish()]);
    await this.staging.mapAsync(1 /* GPUMapMode.READ */);
    const bytes = this.staging.getMappedRange().slice(0);
    this.staging.unmap();
    return { values: new Float32Array(bytes, 0, k), ids: new Uint32Array(bytes, 4 * k, k) };
  }

  destroy(): void {
    for (const b of [this.uniforms, this.values, this.ids, this.staging]) b.destroy();
  }
}

export interface SamplingParams {
  /** 0: greedy. */
  readonly temperature: number;
  /** Nucleus: keep the smallest set of candidates whose probability reaches topP. */
  readonly topP: number;
}

/** Pick a token among the candidates: greedy, or temperature + top-p with `random()` in [0, 1). */
export function chooseToken(c: Candidates, params: SamplingParams, random: () => number): number {
  if (params.temperature <= 0 || c.ids.length === 1) return c.ids[0]!;
  const max = c.values[0]!;
  const weights = Array.from(c.values, (v) => Math.exp((v - max) / params.temperature));
  const total = weights.reduce((a, b) => a + b, 0);
  let kept = 0;
  let mass = 0;
  while (kept < weights.length && mass < params.topP * total) mass += weights[kept++]!;
  let r = random() * mass;
  for (let i = 0; i < kept; i++) {
    r -= weights[i]!;
    if (r < 0) return c.ids[i]!;
  }
  return c.ids[kept - 1]!;
}

/** A small seeded generator (mulberry32): same seed, same answer. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
