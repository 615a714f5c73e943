// The language model's generation loop on ONNX Runtime Web: prefill the prompt's embeddings,
// then one token per step, the KV cache fed back from each step's `present.*` outputs. On the
// WebGPU execution provider the cache and the logits stay on the GPU (gpu-buffer outputs fed
// back as inputs; old ones disposed), and only the top-K candidates of the last logits row come
// back per step (src/vlm/sample.ts); on wasm they are CPU tensors and top-K runs on the CPU.

import type { Ort, OrtSession, OrtTensor } from '../models/ort.ts';
import type { VlmManifest } from '../models/manifest.ts';
import {
  chooseToken,
  seededRandom,
  topKCpu,
  type Candidates,
  type SamplingParams,
  type TopK,
} from './sample.ts';

export interface GenerateOptions extends SamplingParams {
  readonly maxNewTokens: number;
  readonly seed?: number;
  /** Candidates kept per step for sampling (greedy needs 1). */
  readonly candidates?: number;
  readonly signal?: AbortSignal;
  /** Called with every new token id as it comes (stop tokens excluded). */
  onToken?(id: number): void;
}

export interface GenerateResult {
  readonly ids: number[];
  readonly stopped: 'eos' | 'length' | 'cancelled';
  /** Milliseconds from the start of prefill to the first token. */
  readonly firstTokenMs: number;
  /** Milliseconds of the decode steps after the first token. */
  readonly decodeMs: number;
  readonly promptTokens: number;
  /** Where the KV cache lived between steps, and how many full logits rows came to the CPU. */
  readonly cache: 'gpu' | 'cpu';
  readonly logitRowsRead: number;
  /** Cache length after the last step (prompt + tokens fed back). */
  readonly cacheLength: number;
}

type Layout = VlmManifest['decoder'];

/** Names of the cache inputs and outputs for `layers` layers. */
export function cacheNames(d: Layout): { past: string[]; present: string[] } {
  const past: string[] = [];
  const present: string[] = [];
  for (let i = 0; i < d.layers; i++) {
    past.push(d.pastKey.replace('{i}', String(i)), d.pastValue.replace('{i}', String(i)));
    present.push(d.presentKey.replace('{i}', String(i)), d.presentValue.replace('{i}', String(i)));
  }
  return { past, present };
}

export class KvDecoder {
  private readonly names: { past: string[]; present: string[] };
  private cache: OrtTensor[] = [];
  private length = 0;
  private logitRowsRead = 0;

  /**
   * `embed` maps input_ids to inputs_embeds; `decoder` is the merged decoder. With `topK` (a GPU
   * kernel on the session's device) the logits are read on the GPU.
   */
  constructor(
    private readonly ort: Ort,
    private readonly embed: OrtSession,
    private readonly decoder: OrtSession,
    private readonly layout: Layout,
    private readonly topK: TopK | null = null,
    /** Longest piece of a prompt run at once (see forward). */
    private readonly prefillChunk = 256,
  ) {
    this.names = cacheNames(layout);
  }

  /** The tokens in the cache so far. */
  get cached(): number {
    return this.length;
  }

  /** Embeddings of `ids` [1, n, D] (CPU tensor, or GPU on WebGPU). */
  async embedIds(ids: readonly number[]): Promise<OrtTensor> {
    const input = new this.ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]);
    const out = await this.embed.run({ input_ids: input });
    input.dispose();
    return out.inputs_embeds!;
  }

  /** Empty the KV cache (a new sequence starts). */
  reset(): void {
    for (const t of this.cache) t.dispose();
    const { kvHeads, headDim } = this.layout;
    this.cache = this.names.past.map(
      () => new this.ort.Tensor('float32', new Float32Array(0), [1, kvHeads, 0, headDim]),
    );
    this.length = 0;
  }

  /** Run the decoder on `embeds` [1, n, D] after the cache; returns the last row's candidates. */
  async forward(embeds: OrtTensor, k: number): Promise<Candidates> {
    const n = embeds.dims[1]!;
    const chunk = this.prefillChunk;
    if (n > chunk && embeds.location === 'cpu') {
      // Long prompts go in chunks: the merged decoder returns logits for every position, and
      // [n, vocab] logits (and [heads, n, n] attention) of a whole video prompt can exceed a
      // GPU's buffer limits; the cache makes chunked prefill exact.
      const data = embeds.data as Float32Array;
      const width = embeds.dims[2]!;
      let last: Candidates | null = null;
      for (let at = 0; at < n; at += chunk) {
        const m = Math.min(chunk, n - at);
        const part = new this.ort.Tensor('float32', data.subarray(at * width, (at + m) * width), [
          1,
          m,
          width,
        ]);
        last = await this.forwardOnce(part, at + m === n ? k : 0);
        part.dispose();
      }
      return last!;
    }
    return this.forwardOnce(embeds, k);
  }

  private async forwardOnce(embeds: OrtTensor, k: number): Promise<Candidates> {
    const n = embeds.dims[1]!;
    const total = this.length + n;
    const feeds: Record<string, OrtTensor> = {
      inputs_embeds: embeds,
      attention_mask: new this.ort.Tensor('int64', new BigInt64Array(total).fill(1n), [1, total]),
      position_ids: new this.ort.Tensor(
        'int64',
        BigInt64Array.from({ length: n }, (_, i) => BigInt(this.length + i)),
        [1, n],
      ),
    };
    this.names.past.forEach((name, i) => (feeds[name] = this.cache[i]!));
    const out = await this.decoder.run(feeds);
    feeds.attention_mask!.dispose();
    feeds.position_ids!.dispose();
    for (const t of this.cache) t.dispose();
    this.cache = this.names.present.map((name) => out[name]!);
    this.length = total;
    const logits = out.logits!;
    const vocab = logits.dims[2]!;
    if (k === 0) {
      logits.dispose(); // an inner chunk of a long prompt: only the cache matters
      return { values: new Float32Array(0), ids: new Uint32Array(0) };
    }
    try {
      if (this.topK && logits.location === 'gpu-buffer') {
        return await this.topK.run(logits.gpuBuffer as GPUBuffer, n - 1, vocab);
      }
      this.logitRowsRead++;
      const data = (await logits.getData()) as Float32Array;
      return topKCpu(data.subarray((n - 1) * vocab, n * vocab), k);
    } finally {
      logits.dispose();
    }
  }

  /** Prefill `embeds` (the prompt with kept vision tokens spliced in), then generate. */
  async generate(
    embeds: OrtTensor,
    eos: readonly number[],
    options: GenerateOptions,
  ): Promise<GenerateResult> {
    const start = performance.now();
    const k = options.temperature > 0 ? (options.candidates ?? 64) : 1;
    const random = seededRandom(options.seed ?? 0);
    const ids: number[] = [];
    this.reset();
    this.logitRowsRead = 0;
    const promptTokens = embeds.dims[1]!;
    let candidates = await this.forward(embeds, k);
    const firstTokenMs = performance.now() - start;
    let stopped: GenerateResult['stopped'] = 'length';
    while (ids.length < options.maxNewTokens) {
      if (options.signal?.aborted) {
        stopped = 'cancelled';
        break;
      }
      const id = chooseToken(candidates, options, random);
      if (eos.includes(id)) {
        stopped = 'eos';
        break;
      }
      ids.push(id);
      options.onToken?.(id);
      if (ids.length >= options.maxNewTokens) break;
      const next = await this.embedIds([id]);
      candidates = await this.forward(next, k);
      next.dispose();
    }
    return {
      ids,
      stopped,
      firstTokenMs,
      decodeMs: performance.now() - start - firstTokenMs,
      promptTokens,
      cache: this.cache.every((t) => t.location === 'gpu-buffer') ? 'gpu' : 'cpu',
      logitRowsRead: this.logitRowsRead,
      cacheLength: this.length,
    };
  }

  dispose(): void {
    for (const t of this.cache) t.dispose();
    this.cache = [];
  }
}
