// The outputs of one decoding step, preallocated on the GPU and bound as ORT's pre-allocated
// outputs: the token's embedding (embed_tokens) and the logits row (the decoder). The step's int64
// inputs (token id, position, attention mask) stay CPU tensors: on ORT 1.30's WebGPU provider the
// nodes that read them run on the CPU, so GPU copies of them were read back every step (measured
// with src/vlm/gpu-meter.ts: +6.4 kB and two readbacks per step at 800 tokens). Nothing here
// reads back to the CPU.

import type { Ort, OrtTensor } from '../models/ort.ts';
import { gpuTensor, storageBuffer } from './gpu-tensors.ts';

export class StepIo {
  private readonly embeds: GPUBuffer | null;
  private readonly logits: GPUBuffer | null;

  constructor(
    private readonly ort: Ort,
    device: GPUDevice,
    readonly dim: number,
    private readonly vocab: number,
    /** Whether the embedding / the logits are f32 (else ORT allocates them as usual). */
    f32: { embeds: boolean; logits: boolean },
  ) {
    this.embeds = f32.embeds ? storageBuffer(device, dim * 4, 'step embedding') : null;
    this.logits = f32.logits ? storageBuffer(device, vocab * 4, 'step logits') : null;
  }

  /** The pre-allocated output for the token's embedding [1, 1, D], or null. */
  embedsTensor(): OrtTensor | null {
    return this.embeds && gpuTensor(this.ort, this.embeds, 'float32', [1, 1, this.dim]);
  }

  /** The pre-allocated output for one logits row [1, 1, vocab], or null. */
  logitsTensor(): OrtTensor | null {
    return this.logits && gpuTensor(this.ort, this.logits, 'float32', [1, 1, this.vocab]);
  }

  destroy(): void {
    for (const b of [this.embeds, this.logits]) b?.destroy();
  }
}
