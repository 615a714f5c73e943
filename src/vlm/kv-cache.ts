// The decoder's KV cache kept in place on the GPU (what transformers.js PR 1745 does for its
// issue 1741, for our Concat-style merged decoders): every cache tensor gets two buffers of a
// fixed capacity, allocated once and grown only when a longer sequence comes. Each run reads
// past.* from one buffer of the pair and ONNX Runtime writes present.* (past + the new rows)
// straight into the other, bound as a pre-allocated output via `session.run(feeds, fetches)`;
// then the pair swaps. No cache buffer is made, freed or read back per step.
//
// (A GroupQueryAttention export could share one buffer for past and present; a Concat export
// writes present = concat(past, new) with a different head stride per length, so it needs the
// second buffer of the pair.)

import type { VlmManifest } from '../models/manifest.ts';
import type { Ort, OrtTensor } from '../models/ort.ts';
import { bytesPerElement, type FloatType } from '../models/dtype.ts';
import { gpuTensor, storageBuffer } from './gpu-tensors.ts';

type Layout = VlmManifest['decoder'];

/** Capacities grow in steps of this many tokens (fewer reallocations across questions). */
const GROW = 256;

export class StaticKvCache {
  private read: GPUBuffer[] = [];
  private write: GPUBuffer[] = [];
  private room = 0;
  private filled = 0;
  /** Cache buffers made since this cache was created (2 per cache tensor per growth). */
  buffersMade = 0;

  constructor(
    private readonly ort: Ort,
    private readonly device: GPUDevice,
    private readonly layout: Layout,
    private readonly names: { past: string[]; present: string[] },
    readonly dtype: FloatType,
  ) {}

  /** Tokens the cache holds. */
  get length(): number {
    return this.filled;
  }

  get capacity(): number {
    return this.room;
  }

  /** Empty the cache and make room for `tokens` (allocates only if it had less room). */
  reset(tokens: number): void {
    this.filled = 0;
    if (tokens <= this.room) return;
    this.destroy();
    this.room = Math.ceil(tokens / GROW) * GROW;
    const { kvHeads, headDim } = this.layout;
    const bytes = kvHeads * this.room * headDim * bytesPerElement(this.dtype);
    const make = (side: string) =>
      this.names.past.map((name) => storageBuffer(this.device, bytes, `kv ${side} ${name}`));
    this.read = make('a');
    this.write = make('b');
    this.buffersMade += 2 * this.names.past.length;
  }

  /** past.* inputs: views of the current length (empty CPU tensors while the cache is empty). */
  feeds(): Record<string, OrtTensor> {
    const { kvHeads, headDim } = this.layout;
    const dims = [1, kvHeads, this.filled, headDim];
    const empty = () =>
      this.dtype === 'float16'
        ? new this.ort.Tensor('float16', new Uint16Array(0), dims)
        : new this.ort.Tensor('float32', new Float32Array(0), dims);
    return Object.fromEntries(
      this.names.past.map((name, i) => [
        name,
        this.filled === 0 ? empty() : gpuTensor(this.ort, this.read[i]!, this.dtype, dims),
      ]),
    );
  }

  /** present.* outputs for `rows` new rows: views of the other buffer of each pair. */
  fetches(rows: number): Record<string, OrtTensor> {
    const total = this.filled + rows;
    if (total > this.room) {
      throw new RangeError(`KV cache: ${total} tokens do not fit its ${this.room}`);
    }
    const { kvHeads, headDim } = this.layout;
    const dims = [1, kvHeads, total, headDim];
    return Object.fromEntries(
      this.names.present.map((name, i) => [
        name,
        gpuTensor(this.ort, this.write[i]!, this.dtype, dims),
      ]),
    );
  }

  /** After a run wrote `rows` new rows: the written buffers become the next run's past. */
  advance(rows: number): void {
    [this.read, this.write] = [this.write, this.read];
    this.filled += rows;
  }

  destroy(): void {
    for (const b of [...this.read, ...this.write]) b.destroy();
    this.read = [];
    this.write = [];
    this.room = 0;
    this.filled = 0;
  }
}
