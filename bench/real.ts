// `npm run bench:real -- [--frames 32] [--provider wasm|webgpu] [--json FILE] [--tokens 8]`: one
// video question at SmolVLM2-256M's real size, through the app's own engine in headless Chromium:
// the real-size replicas (random weights; tools/replicas/make_replicas.py makes them under
// .cache/replicas, never committed) with the fixtures' small tokenizer. The frames are encoded
// in the background first (`prepare`, as the page does once a video is open); then the first
// question after that, a follow-up, and time to first token with its parts for all tokens and
// KVTP at keep ratios 0.3, 0.2, 0.1 (ToMe), and decoding speed. Prints a table with ratios;
// writes the JSON of issue 16 with --json. Asserts nothing.

import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { ensureBuilt, ROOT } from '../cli/build.ts';
import { openSession, type AutomationSession } from '../cli/browser.ts';
import type { AskResult, AskSettings, ModelChoice, PrepareResult } from '../src/engine/types.ts';
import { REPLICA_RELEVANCE, REPLICA_VLM } from '../src/models/registry.ts';
import type { OpenResult } from '../src/worker/protocol.ts';

const run = promisify(execFile);
const DIR = join(ROOT, '.cache/replicas');
const { values: cli } = parseArgs({
  options: {
    frames: { type: 'string', default: '32' },
    provider: { type: 'string', default: 'wasm' },
    json: { type: 'string' },
    tokens: { type: 'string', default: '8' },
  },
});
const FRAMES = Number(cli.frames);
const PROVIDER = cli.provider === 'webgpu' ? 'auto' : 'wasm';
const TOKENS = Number(cli.tokens);
if (!Number.isInteger(FRAMES) || FRAMES < 1 || FRAMES > 256) {
  console.error('bench:real: --frames takes 1 to 256');
  process.exit(2);
}

/** The replicas' files, made on demand, with the fixtures' tokenizer and template beside them. */
async function ensureReplicas(): Promise<void> {
  const vlm = join(DIR, 'smolvlm2-256m');
  const rel = join(DIR, 'siglip-base-224');
  if (!existsSync(join(vlm, 'onnx/decoder_model_merged.onnx'))) {
    console.log('bench:real — making the real-size replicas (random weights, about 1.8 GB) …');
    await run('/usr/bin/python3', ['tools/replicas/make_replicas.py', DIR], { cwd: ROOT });
  }
  for (const f of [
    'tokenizer.json',
    'tokenizer_config.json',
    'chat_template.json',
    'config.json',
  ]) {
    copyFileSync(join(ROOT, 'public/models/fixture-vlm', f), join(vlm, f));
  }
  for (const f of ['tokenizer.json', 'tokenizer_config.json', 'config.json']) {
    copyFileSync(join(ROOT, 'public/models/fixture-relevance', f), join(rel, f));
  }
}

const base: AskSettings = {
  method: 'tome',
  allocation: 'exact',
  keepRatio: 0.2,
  temperature: 2,
  minPerFrame: 1,
  head: 'logit',
  seed: 0,
  generation: { maxTokens: 1, temperature: 0, topP: 1 },
};
const SETTINGS: Record<string, AskSettings> = {
  all: { ...base, method: 'none', allocation: 'uniform', keepRatio: 1 },
  'kvtp-0.3': { ...base, keepRatio: 0.3 },
  'kvtp-0.2': base,
  'kvtp-0.1': { ...base, keepRatio: 0.1 },
};

async function ask(
  session: AutomationSession,
  models: ModelChoice,
  question: string,
  settings: AskSettings,
): Promise<AskResult> {
  const started = Date.now();
  const r = await session.request<AskResult>('ask', { question, settings, models });
  if (r.error) throw new Error(`${r.error.code}: ${r.error.message}`);
  const f = r.result.figures;
  console.log(
    `  ${question} — ${f.promptTokens} prompt tokens, first token ${(f.timings.firstTokenMs / 1000).toFixed(1)} s (${((Date.now() - started) / 1000).toFixed(0)} s in all)`,
  );
  return r.result;
}

async function main() {
  await ensureReplicas();
  await ensureBuilt((line) => console.log(`  ${line}`));
  const video = resolve(ROOT, 'public/samples/sample-0-0.mp4');
  const models: ModelChoice = {
    vlm: REPLICA_VLM.id,
    relevance: REPLICA_RELEVANCE.id,
    provider: PROVIDER,
  };
  const session = await openSession({ serve: { mounts: { '/replicas/': DIR } } });
  try {
    const opened = await session.request<OpenResult>('open', { frames: FRAMES }, { file: video });
    if (opened.error) throw new Error(opened.error.message);
    console.log(
      `bench:real — ${FRAMES} frames of ${opened.result.info.name}, models on ${cli.provider}`,
    );
    const prepared = await session.request<PrepareResult>(
      'prepare',
      { models },
      {
        onEvent: (e) => {
          const p = e as { type: string; stage?: string; done?: number; total?: number };
          if (p.type === 'progress' && p.stage?.startsWith('encoding')) {
            console.log(`  ${p.stage} ${p.done}/${p.total}`);
          }
        },
      },
    );
    if (prepared.error) throw new Error(`${prepared.error.code}: ${prepared.error.message}`);
    const prep = prepared.result;
    console.log(
      `  frames encoded in the background: vision ${(prep.visionMs / 1000).toFixed(1)} s, relevance ${(prep.relevanceMs / 1000).toFixed(1)} s`,
    );
    const first = await ask(session, models, 'What colour was the triangle?', base);
    const followup = await ask(session, models, 'How many circles were there?', base);
    const rows = [];
    for (const [setting, settings] of Object.entries(SETTINGS)) {
      const a =
        setting === 'kvtp-0.2'
          ? followup
          : await ask(session, models, 'Where was the square?', settings);
      const t = a.figures.timings;
      rows.push({
        setting,
        prompt_tokens: a.figures.promptTokens,
        prefill_ms: t.prefillMs,
        reduce_ms: t.reduceMs,
        first_token_ms: t.firstTokenMs,
      });
    }
    const decoded = await ask(session, models, 'What happened?', {
      ...base,
      generation: { ...base.generation, maxTokens: TOKENS },
    });
    const result = {
      frames: FRAMES,
      provider: cli.provider,
      vision_encode_ms: prep.visionMs,
      relevance_encode_ms: prep.relevanceMs,
      decode_tokens_per_s: decoded.figures.timings.tokensPerSecond,
      first_question_after_load_ms: first.figures.timings.firstTokenMs,
      followup_ms: followup.figures.timings.firstTokenMs,
      rows,
    };
    print(result);
    if (cli.json) writeFileSync(resolve(cli.json), `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await session.close();
  }
}

function print(r: {
  frames: number;
  provider: string;
  vision_encode_ms: number;
  relevance_encode_ms: number;
  decode_tokens_per_s: number;
  first_question_after_load_ms: number;
  followup_ms: number;
  rows: {
    setting: string;
    prompt_tokens: number;
    prefill_ms: number;
    reduce_ms: number;
    first_token_ms: number;
  }[];
}) {
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const all = r.rows[0]!;
  console.log('');
  console.log(`${r.frames} frames, models on ${r.provider}`);
  console.log(
    'setting    prompt  tokens vs all  prefill  prefill vs all  reduce  (of first token)  first token',
  );
  for (const x of r.rows) {
    console.log(
      `${x.setting.padEnd(10)} ${String(x.prompt_tokens).padStart(6)}  ${(all.prompt_tokens / x.prompt_tokens).toFixed(2).padStart(12)}×  ${s(x.prefill_ms).padStart(7)}  ${(all.prefill_ms / x.prefill_ms).toFixed(2).padStart(13)}×  ${s(x.reduce_ms).padStart(6)}  ${((100 * x.reduce_ms) / x.first_token_ms).toFixed(1).padStart(14)} %  ${s(x.first_token_ms).padStart(11)}`,
    );
  }
  console.log(
    `frames encoded in the background: vision ${s(r.vision_encode_ms)}, relevance ${s(r.relevance_encode_ms)}`,
  );
  console.log(
    `first question after load ${s(r.first_question_after_load_ms)}, follow-up ${s(r.followup_ms)} (${(r.first_question_after_load_ms / r.followup_ms).toFixed(2)}×)`,
  );
  console.log(`decoding ${r.decode_tokens_per_s.toFixed(2)} tokens/s`);
}

await main();
