// `npm run bench:prefill`: time to first token of a decoder with SmolVLM2-256M's text dimensions
// (random weights, made here by tools/fixtures/make_fixtures.py --bench-decoder, not committed)
// in headless Chromium on this machine's WebGPU, for the prompt of a video question (32 frames,
// or --frames N)
// with every vision token and with KVTP at keep ratios 0.3, 0.2 and 0.1; and decoding speed with
// the KV cache kept in place on the GPU against new cache buffers every step and against copying
// cache and logits to the CPU every step (with GPU buffers made per step). Prints numbers and
// ratios; asserts nothing.

import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { ensureBuilt, ROOT } from '../cli/build.ts';
import { openSession } from '../cli/browser.ts';
import { SMOLVLM2_256M } from '../src/models/registry.ts';
import type { PrefillBenchResult } from '../src/vlm/bench-prefill.ts';

const run = promisify(execFile);
const DIR = join(ROOT, 'bench/.cache/prefill');
// --frames N: the video's sampled frames (default 32, as the app); on a CPU-emulated GPU a
// 32-frame unpruned prefill takes tens of minutes, so smaller runs are useful there.
// --decode-from all|0.3|0.2|0.1: the prompt the decode comparison starts from (default 0.2); the
// cache's reallocation cost (transformers.js issue 1741) grows with the context, so `all` with 32
// frames (2168 tokens) is where in place against new buffers per step shows most
const { values: cli } = parseArgs({
  options: {
    frames: { type: 'string', default: '32' },
    'decode-from': { type: 'string', default: '0.2' },
  },
});
const FRAMES = Number(cli.frames);
const DECODE_FROM = cli['decode-from'] === 'all' ? 'all tokens' : `KVTP ρ ${cli['decode-from']}`;
const TEXT = 120; // the video prompt's text tokens and the question, about
const N = SMOLVLM2_256M.vision.tokensPerFrame;
const STEPS = 16;

async function main() {
  const prompts = [
    { label: 'all tokens', tokens: TEXT + FRAMES * N },
    ...[0.3, 0.2, 0.1].map((r) => ({
      label: `KVTP ρ ${r}`,
      tokens: TEXT + Math.round(r * FRAMES * N),
    })),
  ];
  if (!prompts.some((p) => p.label === DECODE_FROM)) {
    console.error(`bench:prefill: --decode-from takes all, 0.3, 0.2 or 0.1`);
    process.exit(2);
  }
  if (!existsSync(join(DIR, 'decoder_model_merged.onnx'))) {
    console.log('bench:prefill — making the random-weight decoder (SmolVLM2-256M dimensions) …');
    mkdirSync(DIR, { recursive: true });
    await run('/usr/bin/python3', ['tools/fixtures/make_fixtures.py', '--bench-decoder', DIR], {
      cwd: ROOT,
    });
  }
  await ensureBuilt((line) => console.log(`  ${line}`));
  const session = await openSession({ serve: { mounts: { '/bench-model/': DIR } } });
  let result: PrefillBenchResult;
  try {
    const origin = new URL(session.page.url()).origin;
    const outcome = await session.request<PrefillBenchResult>(
      'benchPrefill',
      {
        modelUrl: `${origin}/bench-model/decoder_model_merged.onnx`,
        layout: SMOLVLM2_256M.decoder,
        hidden: SMOLVLM2_256M.vision.hidden,
        prompts,
        decodeFrom: DECODE_FROM,
        decodeSteps: STEPS,
      },
      { onEvent: (e) => console.log(`  ${(e as { stage?: string }).stage ?? ''}`) },
    );
    if (outcome.error) throw new Error(`${outcome.error.code}: ${outcome.error.message}`);
    result = outcome.result;
  } finally {
    await session.close();
  }
  const base = result.prefill[0]!.firstTokenMs;
  console.log('');
  console.log(
    `prefill, ${FRAMES} frames × ${N} tokens + ${TEXT} text tokens (SmolVLM2-256M text dimensions)`,
  );
  console.log('prompt          tokens  first token   vs all tokens');
  for (const p of result.prefill) {
    console.log(
      `${p.label.padEnd(16)}${String(p.tokens).padStart(6)}  ${(p.firstTokenMs / 1000).toFixed(2).padStart(8)} s   ${(p.firstTokenMs / base).toFixed(2)}× (${(base / p.firstTokenMs).toFixed(1)}× faster)`,
    );
  }
  const d = result.decode;
  console.log('');
  console.log(`decoding ${d.steps} tokens after the ${DECODE_FROM} prompt`);
  const line = (label: string, r: typeof d.inPlace) =>
    console.log(
      `  ${label.padEnd(44)}${r.tokensPerSecond.toFixed(2).padStart(8)} tokens/s  ${r.buffersPerStep.toFixed(1).padStart(6)} GPU buffers made per step`,
    );
  line('KV cache in place on the GPU (the app):', d.inPlace);
  line('cache on the GPU, new present.* each step:', d.freshPerStep);
  line('cache and logits copied every step:', d.copyPerStep);
  const ratio = (a: typeof d.inPlace, b: typeof d.inPlace) =>
    (a.tokensPerSecond / b.tokensPerSecond).toFixed(2);
  console.log(`  in place vs new buffers each step: ${ratio(d.inPlace, d.freshPerStep)}×`);
  console.log(`  in place vs copy per step:         ${ratio(d.inPlace, d.copyPerStep)}×`);
}

await main();
