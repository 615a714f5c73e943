// The language model's generation loop on ONNX Runtime Web: prefill the prompt's embeddings (in
// chunks), then one token per step through the KV cache. On the WebGPU provider the cache lives
// in buffers allocated once per question (src/vlm/kv-cache.ts) that ORT writes present.* into in
// place, the step's token embedding and logits go to preallocated buffers too, the prompt may
// arrive as a GPU buffer (the spliced embeddings), and per step only the top-K candidates of the
// logits row come back to the CPU (src/vlm/next-token.ts). Must not read the cache or the logits
// back per step there. On wasm everything is CPU tensors: present.* are fed back as past.*.

import type { VlmManifest } from '../models/manifest.ts';
import type { Ort, OrtSession, OrtTensor } from '../models/ort.ts';
import { readback } from '../gpu/transfer.ts';
import { chunkOnGpu, isGpuEmbeds, type EmbedsOnGpu } from './embeds-gpu.ts';
import { gpuMeter } from './gpu-meter.ts';
import { castTo, floatType, inputType, outputType, readFloat32 } from '../models/dtype.ts';
import { bufferOf, gpuTensor } from './gpu-tensors.ts';
import { StaticKvCache } from './kv-cache.ts';
import { StepIo } from './step-io.ts';
import type { GenerateOptions, GenerateResult, StepRecord } from './generation.ts';
import { chooseToken, seededRandom, topKCpu, type Candidates, type TopK } from './next-token.ts';
import { decoderContract, optionalFeeds, type DecoderContract } from './decoder-feeds.ts';

export type { GenerateOptions, GenerateResult, StepRecord } from './generation.ts';

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

/** The worker's GPU, for decoders whose sessions run on the WebGPU provider. */
export interface DecoderGpu {
  readonly device: GPUDevice;
  /** Top-K of a logits row on the GPU (only K candidates are read back). */
  readonly topK: TopK;
}

export interface DecoderOptions {
  readonly gpu?: DecoderGpu | null;
  /** Longest piece of a prompt run at once (see forward). */
  readonly prefillChunk?: number;
  /** With a GPU: `static` (default) or `feedback` (ORT allocates new present.* every step). */
  readonly cache?: 'static' | 'feedback';
}

type Input = OrtTensor | EmbedsOnGpu;
const rowsOf = (x: Input) => (isGpuEmbeds(x) ? x.rows : x.dims[1]!);

export class KvDecoder {
  readonly gpu: DecoderGpu | null;
  readonly mode: 'static' | 'feedback';
  private readonly names: { past: string[]; present: string[] };
  /** The export's optional inputs (position_ids, use_cache_branch, num_logits_to_keep). */
  readonly contract: DecoderContract;
  private readonly prefillChunk: number;
  private cache: OrtTensor[] = [];
  private kv: StaticKvCache | null = null;
  private step: StepIo | null = null;
  private length = 0;
  private presentLength = 0;
  private logitRowsRead = 0;
  private queue: Promise<void> = Promise.resolve();

  /** `embed` maps input_ids to inputs_embeds; `decoder` is the merged decoder. */
  constructor(
    private readonly ort: Ort,
    private readonly embed: OrtSession,
    private readonly decoder: OrtSession,
    private readonly layout: Layout,
    options: DecoderOptions = {},
  ) {
    this.names = cacheNames(layout);
    this.contract = decoderContract(decoder, layout);
    this.gpu = options.gpu ?? null;
    this.mode = this.gpu ? (options.cache ?? 'static') : 'feedback';
    this.prefillChunk = options.prefillChunk ?? 256;
  }

  /** The tokens in the cache so far. */
  get cached(): number {
    return this.length;
  }

  /** The sessions (for diagnostics that run the model outside the loop). */
  get sessions(): { embed: OrtSession; decoder: OrtSession } {
    return { embed: this.embed, decoder: this.decoder };
  }

  /** Embeddings of `ids` [1, n, D] (CPU tensor, or GPU when the session puts them there). */
  async embedIds(ids: readonly number[]): Promise<OrtTensor> {
    const input = new this.ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]);
    const out = await this.embed.run({ input_ids: input });
    input.dispose();
    return out.inputs_embeds!;
  }

  /** Empty the KV cache for a sequence of up to `capacity` tokens. */
  reset(capacity = 0): void {
    this.length = 0;
    this.presentLength = 0;
    if (this.mode === 'static') {
      this.kv ??= new StaticKvCache(
        this.ort,
        this.gpu!.device,
        this.layout,
        this.names,
        floatType(inputType(this.decoder, this.names.past[0]!)),
      );
      this.kv.reset(Math.max(1, capacity));
      return;
    }
    for (const t of this.cache) t.dispose();
    const { kvHeads, headDim } = this.layout;
    const half = floatType(inputType(this.decoder, this.names.past[0]!)) === 'float16';
    const dims = [1, kvHeads, 0, headDim];
    this.cache = this.names.past.map(() =>
      half
        ? new this.ort.Tensor('float16', new Uint16Array(0), dims)
        : new this.ort.Tensor('float32', new Float32Array(0), dims),
    );
  }

  /** Run the decoder on `input` [1, n, D] after the cache; returns the last row's candidates. */
  async forward(
    input: Input,
    k: number,
    wantRow = false,
  ): Promise<Candidates & { row?: Float32Array }> {
    const n = rowsOf(input);
    const chunk = this.prefillChunk;
    if (n <= chunk) {
      const t = isGpuEmbeds(input) ? this.view(input.buffer, n, input.dim) : input;
      return this.forwardOnce(t, k, wantRow);
    }
    // Long prompts go in chunks: the merged decoder returns logits for every position, and
    // [n, vocab] logits (and [heads, n, n] attention) of a whole video prompt can exceed a GPU's
    // buffer limits; the cache makes chunked prefill exact. A GPU prompt's chunks are copied
    // into buffers of their own on the GPU.
    let last: Candidates | null = null;
    for (let at = 0; at < n; at += chunk) {
      const m = Math.min(chunk, n - at);
      const part = this.slice(input, at, m);
      try {
        last = await this.forwardOnce(part.tensor, at + m === n ? k : 0, wantRow && at + m === n);
      } finally {
        part.release();
      }
    }
    return last!;
  }

  private view(buffer: GPUBuffer, rows: number, dim: number): OrtTensor {
    return gpuTensor(this.ort, buffer, 'float32', [1, rows, dim]);
  }

  private slice(input: Input, at: number, m: number): { tensor: OrtTensor; release(): void } {
    if (!isGpuEmbeds(input) && input.location === 'cpu') {
      const width = input.dims[2]!;
      const data = (input.data as Float32Array | Uint16Array).subarray(
        at * width,
        (at + m) * width,
      );
      const tensor = new this.ort.Tensor(input.type as 'float32', data as Float32Array, [
        1,
        m,
        width,
      ]);
      return { tensor, release: () => tensor.dispose() };
    }
    if (!this.gpu) throw new Error('decoder: a GPU prompt needs the decoder’s GPU');
    const src = isGpuEmbeds(input)
      ? input
      : { buffer: bufferOf(input, 'inputs_embeds'), dim: input.dims[2]! };
    const buffer = chunkOnGpu(this.gpu.device, src, at, m);
    return { tensor: this.view(buffer, m, src.dim), release: () => buffer.destroy() };
  }

  private stepIo(dim: number): StepIo {
    if (this.step?.dim === dim) return this.step;
    this.step?.destroy();
    const f32 = (t: string) => t === 'float32';
    this.step = new StepIo(this.ort, this.gpu!.device, dim, this.layout.vocab, {
      embeds:
        f32(outputType(this.embed, 'inputs_embeds')) &&
        f32(inputType(this.decoder, 'inputs_embeds')),
      logits: f32(outputType(this.decoder, 'logits')),
    });
    return this.step;
  }

  /** One generated token's embedding; in static mode all on preallocated GPU buffers. */
  private async embedStep(id: number, dim: number): Promise<OrtTensor> {
    if (this.mode !== 'static') return this.embedIds([id]);
    const out = this.stepIo(dim).embedsTensor();
    if (!out) return this.embedIds([id]);
    const input_ids = new this.ort.Tensor('int64', BigInt64Array.of(BigInt(id)), [1, 1]);
    await this.embed.run({ input_ids }, { inputs_embeds: out });
    input_ids.dispose();
    return out;
  }

  private async forwardOnce(
    embeds: OrtTensor,
    k: number,
    wantRow: boolean,
  ): Promise<Candidates & { row?: Float32Array }> {
    const n = embeds.dims[1]!;
    const total = this.length + n;
    // a CPU prompt in the float type the decoder takes (fp16 exports take float16)
    const cast = castTo(this.ort, embeds, inputType(this.decoder, 'inputs_embeds'));
    const feeds: Record<string, OrtTensor> = {
      inputs_embeds: cast,
      attention_mask: new this.ort.Tensor('int64', new BigInt64Array(total).fill(1n), [1, total]),
    };
    const optional = optionalFeeds(this.ort, this.contract, this.length, n);
    Object.assign(feeds, optional);
    let out: Record<string, OrtTensor>;
    if (this.kv) {
      Object.assign(feeds, this.kv.feeds());
      const fetches: Record<string, OrtTensor | null> = {
        ...this.kv.fetches(n),
        logits: n === 1 ? this.stepIo(embeds.dims[2]!).logitsTensor() : null,
      };
      out = (await this.decoder.run(feeds, fetches as never)) as Record<string, OrtTensor>;
      this.kv.advance(n);
    } else {
      this.names.past.forEach((name, i) => (feeds[name] = this.cache[i]!));
      out = (await this.decoder.run(feeds)) as Record<string, OrtTensor>;
      for (const t of this.cache) t.dispose();
      this.cache = this.names.present.map((name) => out[name]!);
    }
    feeds.attention_mask!.dispose();
    Object.values(optional).forEach((t) => t.dispose());
    if (cast !== embeds) cast.dispose();
    this.length = total;
    this.presentLength = out[this.names.present[0]!]!.dims[2]!;
    const logits = out.logits!;
    // every position's logits, or the last one's only (num_logits_to_keep = 1)
    const rows = logits.dims[1]!;
    const vocab = logits.dims[2]!;
    try {
      if (k === 0) return { values: new Float32Array(0), ids: new Uint32Array(0) }; // inner chunk
      const row = wantRow ? await this.lastRow(logits, rows, vocab) : undefined;
      if (this.gpu && logits.location === 'gpu-buffer' && logits.type === 'float32') {
        const c = await this.gpu.topK.run(bufferOf(logits, 'logits'), rows - 1, vocab);
        return { ...c, ...(row && { row }) };
      }
      this.logitRowsRead++;
      const data = await readFloat32(logits);
      return {
        ...topKCpu(data.subarray((rows - 1) * vocab, rows * vocab), k),
        ...(row && { row }),
      };
    } finally {
      logits.dispose();
    }
  }

  private async lastRow(logits: OrtTensor, n: number, vocab: number): Promise<Float32Array> {
    if (logits.location === 'gpu-buffer' && logits.type === 'float32' && this.gpu) {
      const bytes = await readback(
        this.gpu.device,
        bufferOf(logits, 'logits'),
        vocab * 4,
        (n - 1) * vocab * 4,
      );
      return new Float32Array(bytes);
    }
    return (await readFloat32(logits)).slice((n - 1) * vocab, n * vocab);
  }

  /** Prefill `input` (the prompt with kept vision tokens spliced in), then generate. */
  async generate(
    input: Input,
    eos: readonly number[],
    options: GenerateOptions,
  ): Promise<GenerateResult> {
    // one sequence at a time: a cancelled answer finishes its step before the next one resets
    // the cache it is writing
    const turn = this.queue.then(() => this.generateNow(input, eos, options));
    this.queue = turn.then(
      () => {},
      () => {},
    );
    return turn;
  }

  private async generateNow(
    input: Input,
    eos: readonly number[],
    options: GenerateOptions,
  ): Promise<GenerateResult> {
    const start = performance.now();
    const meter = gpuMeter();
    const k = options.temperature > 0 ? (options.candidates ?? 64) : 1;
    const random = seededRandom(options.seed ?? 0);
    const ids: number[] = [];
    const promptTokens = rowsOf(input);
    const dim = isGpuEmbeds(input) ? input.dim : input.dims[2]!;
    const madeBefore = this.kv?.buffersMade ?? 0;
    this.reset(promptTokens + options.maxNewTokens);
    this.logitRowsRead = 0;
    let candidates = await this.forward(input, k, options.prefillLogits);
    const lastPrefillLogits = candidates.row;
    const firstTokenAt = performance.now();
    const prefill = meter.take();
    options.onPrefilled?.();
    const steps: StepRecord[] = [];
    let stopped: GenerateResult['stopped'] = 'max-tokens';
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
      meter.take(); // the step starts here: its embedding, run and top-K
      const next = await this.embedStep(id, dim);
      candidates = await this.forward(next, k);
      next.dispose();
      steps.push({ cacheLength: this.presentLength, ...meter.take() });
    }
    const onGpu = this.kv !== null || this.cache.every((t) => t.location === 'gpu-buffer');
    return {
      ids,
      stopped,
      firstTokenAt,
      firstTokenMs: firstTokenAt - start,
      decodeMs: performance.now() - firstTokenAt,
      promptTokens,
      cache: onGpu ? 'gpu' : 'cpu',
      cacheMode: this.kv ? 'static' : 'feedback',
      logitRowsRead: this.logitRowsRead,
      cacheLength: this.length,
      prefill,
      steps,
      cacheBuffersMade: (this.kv?.buffersMade ?? 0) - madeBefore,
      ...(lastPrefillLogits && { lastPrefillLogits }),
    };
  }

  dispose(): void {
    for (const t of this.cache) t.dispose();
    this.cache = [];
    this.kv?.destroy();
    this.kv = null;
    this.step?.destroy();
    this.step = null;
  }
}
