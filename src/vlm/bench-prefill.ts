// `npm run bench:prefill`, the part that runs in the pipeline worker: a decoder with the default
// VLM's text dimensions (random weights, made at bench time) timed on prompts of the lengths an
// unpruned and a KVTP-pruned video question have, and decoding three ways: the KV cache kept in
// place on the GPU (allocated once, present.* written into it: the app's way), the cache on the
// GPU but new present.* buffers every step (transformers.js issue 1741's pattern), and a
// copy-per-step baseline (cache and logits back to the CPU every step).

import type { GpuContext } from '../gpu/device.ts';
import { PipelineCache } from '../gpu/pipelines.ts';
import type { VlmManifest } from '../models/manifest.ts';
import type { Ort, OrtSession } from '../models/ort.ts';
import { cacheNames, KvDecoder } from './decoder.ts';
import { gpuMeter } from './gpu-meter.ts';
import { TopK } from './next-token.ts';

export interface PrefillBenchArgs {
  readonly modelUrl: string;
  readonly layout: VlmManifest['decoder'];
  readonly hidden: number;
  readonly prompts: readonly { readonly label: string; readonly tokens: number }[];
  /** The prompt the decode comparison starts from (its label). */
  readonly decodeFrom: string;
  readonly decodeSteps: number;
}

export interface DecodeRate {
  readonly tokensPerSecond: number;
  readonly buffersPerStep: number;
}

export interface PrefillBenchResult {
  readonly prefill: { label: string; tokens: number; firstTokenMs: number }[];
  readonly decode: {
    /** Tokens per second and GPU buffers made per step, for each way of keeping the cache. */
    inPlace: DecodeRate;
    freshPerStep: DecodeRate;
    copyPerStep: DecodeRate;
    steps: number;
  };
}

function embeds(ort: Ort, n: number, hidden: number, seed: number) {
  const data = new Float32Array(n * hidden);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = (s / 2 ** 32 - 0.5) * 0.1;
  }
  return new ort.Tensor('float32', data, [1, n, hidden]);
}

/** A decoder prefilled with `prompt` tokens (and two untimed steps), ready to time steps. */
async function decoding(ort: Ort, dec: KvDecoder, hidden: number, prompt: number, steps: number) {
  const warm = 2;
  dec.reset(prompt + warm + steps);
  await dec.forward(embeds(ort, prompt, hidden, 1), 1);
  const step = embeds(ort, 1, hidden, 2);
  for (let i = 0; i < warm; i++) await dec.forward(step, 1);
  const total = { ms: 0, steps: 0, buffers: 0 };
  return {
    /** Time `n` more steps. */
    async run(n: number) {
      const meter = gpuMeter();
      const start = performance.now();
      for (let i = 0; i < n; i++) await dec.forward(step, 1);
      total.ms += performance.now() - start;
      total.steps += n;
      total.buffers += meter.take().buffersMade;
    },
    rate: (): DecodeRate => ({
      tokensPerSecond: (total.steps * 1000) / total.ms,
      buffersPerStep: total.buffers / total.steps,
    }),
  };
}

export async function benchPrefill(
  ort: Ort,
  ctx: GpuContext,
  args: PrefillBenchArgs,
  log: (s: string) => void,
) {
  const bytes = new Uint8Array(await (await fetch(args.modelUrl)).arrayBuffer());
  const names = cacheNames(args.layout);
  const create = (gpuOutputs: string[]): Promise<OrtSession> =>
    ort.InferenceSession.create(bytes, {
      executionProviders: [{ name: 'webgpu', device: ctx.device } as never],
      logSeverityLevel: 3,
      ...(gpuOutputs.length && {
        preferredOutputLocation: Object.fromEntries(
          gpuOutputs.map((n) => [n, 'gpu-buffer' as const]),
        ),
      }),
    });
  log('creating the GPU-cache session');
  const onGpu = await create([...names.present, 'logits']);
  const topK = new TopK(ctx.device, new PipelineCache(ctx.device), 8);
  const gpu = { device: ctx.device, topK };
  const dec = new KvDecoder(ort, onGpu, onGpu, args.layout, { gpu });
  // warm-up: compile the kernels on a short prompt
  dec.reset(16);
  await dec.forward(embeds(ort, 16, args.hidden, 3), 1);
  const prefill: PrefillBenchResult['prefill'] = [];
  for (const p of args.prompts) {
    log(`prefill ${p.label} (${p.tokens} tokens)`);
    dec.reset(p.tokens);
    const e = embeds(ort, p.tokens, args.hidden, 4);
    const start = performance.now();
    await dec.forward(e, 1);
    prefill.push({ label: p.label, tokens: p.tokens, firstTokenMs: performance.now() - start });
    e.dispose();
  }
  const from = args.prompts.find((p) => p.label === args.decodeFrom)!.tokens;
  const steps = args.decodeSteps;
  // in place and new buffers per step share the session: timed in alternating rounds of 4 steps,
  // so that neither gains from going second (kernels compiled, ORT's buffer cache filled)
  log(`decode ${steps} steps, KV cache in place and new present.* buffers per step, alternating`);
  const fresh = new KvDecoder(ort, onGpu, onGpu, args.layout, { gpu, cache: 'feedback' });
  const a = await decoding(ort, dec, args.hidden, from, steps);
  const b = await decoding(ort, fresh, args.hidden, from, steps);
  for (let done = 0; done < steps; done += 4) {
    const n = Math.min(4, steps - done);
    await a.run(n);
    await b.run(n);
  }
  const inPlace = a.rate();
  const freshPerStep = b.rate();
  dec.dispose();
  fresh.dispose();
  await onGpu.release();
  log(`decode ${steps} steps, copy per step`);
  const onCpu = await create([]);
  const copy = new KvDecoder(ort, onCpu, onCpu, args.layout);
  const c = await decoding(ort, copy, args.hidden, from, steps);
  await c.run(steps);
  const copyPerStep = c.rate();
  copy.dispose();
  await onCpu.release();
  topK.destroy();
  return { prefill, decode: { inPlace, freshPerStep, copyPerStep, steps } };
}
