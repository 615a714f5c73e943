// `npm run bench:prefill`, the part that runs in the pipeline worker: a decoder with the default
// VLM's text dimensions (random weights, made at bench time) timed on prompts of the lengths an
// unpruned and a KVTP-pruned video question have, and decoding with the KV cache on the GPU
// against a copy-per-step baseline (cache and logits read back to the CPU every step).

import type { GpuContext } from '../gpu/device.ts';
import { PipelineCache } from '../gpu/pipelines.ts';
import type { VlmManifest } from '../models/manifest.ts';
import type { Ort, OrtSession } from '../models/ort.ts';
import { cacheNames, KvDecoder } from './decoder.ts';
import { TopK } from './sample.ts';

export interface PrefillBenchArgs {
  readonly modelUrl: string;
  readonly layout: VlmManifest['decoder'];
  readonly hidden: number;
  readonly prompts: readonly { readonly label: string; readonly tokens: number }[];
  /** The prompt the decode comparison starts from (its label). */
  readonly decodeFrom: string;
  readonly decodeSteps: number;
}

export interface PrefillBenchResult {
  readonly prefill: { label: string; tokens: number; firstTokenMs: number }[];
  readonly decode: {
    gpuCacheTokensPerSecond: number;
    copyPerStepTokensPerSecond: number;
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

async function decodeRate(ort: Ort, dec: KvDecoder, hidden: number, prompt: number, steps: number) {
  dec.reset();
  await dec.forward(embeds(ort, prompt, hidden, 1), 1);
  const step = embeds(ort, 1, hidden, 2);
  const start = performance.now();
  for (let i = 0; i < steps; i++) await dec.forward(step, 1);
  return (steps * 1000) / (performance.now() - start);
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
  const dec = new KvDecoder(ort, onGpu, onGpu, args.layout, topK);
  // warm-up: compile the kernels on a short prompt
  dec.reset();
  await dec.forward(embeds(ort, 16, args.hidden, 3), 1);
  const prefill: PrefillBenchResult['prefill'] = [];
  for (const p of args.prompts) {
    log(`prefill ${p.label} (${p.tokens} tokens)`);
    dec.reset();
    const e = embeds(ort, p.tokens, args.hidden, 4);
    const start = performance.now();
    await dec.forward(e, 1);
    prefill.push({ label: p.label, tokens: p.tokens, firstTokenMs: performance.now() - start });
    e.dispose();
  }
  const from = args.prompts.find((p) => p.label === args.decodeFrom)!.tokens;
  log(`decode ${args.decodeSteps} steps, cache on the GPU`);
  const gpuRate = await decodeRate(ort, dec, args.hidden, from, args.decodeSteps);
  dec.dispose();
  await onGpu.release();
  log(`decode ${args.decodeSteps} steps, copy per step`);
  const onCpu = await create([]);
  const copy = new KvDecoder(ort, onCpu, onCpu, args.layout, null);
  copy.reset();
  await copy.forward(embeds(ort, 16, args.hidden, 3), 1);
  const copyRate = await decodeRate(ort, copy, args.hidden, from, args.decodeSteps);
  copy.dispose();
  await onCpu.release();
  topK.destroy();
  return {
    prefill,
    decode: {
      gpuCacheTokensPerSecond: gpuRate,
      copyPerStepTokensPerSecond: copyRate,
      steps: args.decodeSteps,
    },
  };
}
