// `npm run bench:accuracy`: the paper's table on the embedded demo. The test split of the demo's
// sparse-event videos (or, with --seed S, a fresh set the generator draws and training never saw)
// goes through the real pipeline in headless Chromium — the same worker commands `kvtp ask` uses —
// for every reduction method × allocation (uniform, KVTP with the plain SigLIP-style logit, KVTP
// with the learned head) × keep ratio, plus all tokens and the hard-keyframe baseline. Prints the
// table and KVTP against uniform per method; writes JSON, Markdown and an SVG chart.
//
//   npm run bench:accuracy -- [--questions 300] [--seed S] [--ratios 1,0.3,0.2,0.1]
//       [--methods random,tome,prumerge] [--allocations uniform,exact,exact-learned,hard]
//       [--frames 32] [--provider wasm|auto] [--json FILE] [--out DIR] [--merge]
//
// --merge keeps the rows of the existing JSON that this run did not ask again (e.g. after
// `--methods tome`), replacing those it did, and remakes the Markdown and the chart from all.
//
// At keep ratio 1 every method keeps every token, so it is one row (method none); the hard
// baseline keeps whole frames, so it needs no reduction method either (method none). Models run
// on ONNX Runtime's wasm backend by default (these models are tiny: GPU dispatch on a CPU-emulated
// GPU costs more than it saves); KVTP's kernels run on WebGPU. Accuracy does not depend on this.

import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { ensureBuilt, ROOT } from '../cli/build.ts';
import { openSession } from '../cli/browser.ts';
import { DEMO_RELEVANCE, DEMO_VLM } from '../src/models/registry.ts';
import type { ReductionMethod } from '../src/kvtp/types.ts';
import type { AskResult, AskSettings } from '../src/engine/types.ts';
import type { OpenResult } from '../src/worker/protocol.ts';
import {
  byKind,
  comparisons,
  kindLine,
  mergeRows,
  isCorrect,
  markdownTable,
  svgChart,
  tally,
  textTable,
  type AccuracyRow,
  type Allocation,
  type Outcome,
} from './accuracy-report.ts';

const run = promisify(execFile);

interface TestQuestion {
  video: string;
  question: string;
  answer: string;
  kind: string;
}
interface TestSet {
  split: string;
  seed: number | null;
  frames: number;
  videos: number;
  questions: TestQuestion[];
}

const { values: opts } = parseArgs({
  options: {
    questions: { type: 'string', default: '300' },
    seed: { type: 'string' },
    ratios: { type: 'string', default: '1,0.3,0.2,0.1' },
    methods: { type: 'string', default: 'random,tome,prumerge' },
    allocations: { type: 'string', default: 'uniform,exact,exact-learned,hard' },
    frames: { type: 'string', default: '32' },
    provider: { type: 'string', default: 'wasm' },
    json: { type: 'string' },
    out: { type: 'string', default: 'bench/results' },
    merge: { type: 'boolean', default: false },
  },
});

const QUESTIONS = Number(opts.questions);
const SEED = opts.seed === undefined ? null : Number(opts.seed);
const RATIOS = opts.ratios.split(',').map(Number);
const METHODS = opts.methods.split(',') as ReductionMethod[];
// 'kvtp' and 'kvtp-learned' are the rows' names before the allocation had one name everywhere.
const ALLOCATIONS = opts.allocations
  .split(',')
  .map((a) => a.replace(/^kvtp/, 'exact')) as Allocation[];
const FRAMES = Number(opts.frames);
const PROVIDER = opts.provider === 'auto' ? 'auto' : 'wasm';

/** The configurations asked for every question. */
function configs(): { method: ReductionMethod; allocation: Allocation; keep: number }[] {
  const out: { method: ReductionMethod; allocation: Allocation; keep: number }[] = [];
  for (const keep of RATIOS) {
    if (keep >= 1) {
      out.push({ method: 'none', allocation: 'uniform', keep: 1 });
      continue;
    }
    for (const method of METHODS) {
      for (const allocation of ALLOCATIONS) {
        if (allocation !== 'hard') out.push({ method, allocation, keep });
      }
    }
    if (ALLOCATIONS.includes('hard')) out.push({ method: 'none', allocation: 'hard', keep });
  }
  return out;
}

function settingsFor(c: { method: ReductionMethod; allocation: Allocation; keep: number }) {
  const settings: AskSettings = {
    // hard budgets are all or nothing per frame, which any method keeps as such (random is the
    // cheapest); `none` would ignore the budgets and keep every token
    method: c.allocation === 'hard' ? 'random' : c.method,
    allocation: c.allocation === 'exact-learned' ? 'exact' : c.allocation,
    keepRatio: c.keep,
    temperature: 2,
    minPerFrame: 1,
    head: c.allocation === 'exact-learned' ? 'learned' : 'logit',
    seed: 0,
    generation: { maxTokens: 6, temperature: 0, topP: 1 },
  };
  return settings;
}

/** tools/demo needs Python 3 with NumPy: say what to install before anything starts. */
async function checkPython(): Promise<void> {
  try {
    await run('/usr/bin/python3', ['-c', 'import numpy'], { cwd: ROOT });
  } catch {
    throw new Error(
      'bench:accuracy writes its test questions and videos with tools/demo, which needs Python 3 ' +
        'with NumPy (/usr/bin/python3 -c "import numpy" failed). Install them, then run again:\n' +
        '  sudo apt-get install -y python3 python3-numpy   (or: npm run check:system)',
    );
  }
}

async function testSet(): Promise<{ dir: string; set: TestSet }> {
  const dir = join(ROOT, 'bench/.cache/accuracy', SEED === null ? 'test' : `fresh-${SEED}`);
  const file = join(dir, 'questions.json');
  const fits = (s: TestSet) => s.questions.length >= QUESTIONS && s.frames === FRAMES;
  if (!existsSync(file) || !fits(JSON.parse(readFileSync(file, 'utf8')) as TestSet)) {
    await checkPython();
    mkdirSync(dir, { recursive: true });
    console.log(`bench:accuracy — writing ${QUESTIONS} test questions and their videos to ${dir}`);
    const args = ['tools/demo/make_videos.py', 'test', '--out', dir];
    args.push('--questions', String(QUESTIONS), '--frames', String(FRAMES));
    if (SEED !== null) args.push('--seed', String(SEED));
    await run('/usr/bin/python3', args, { cwd: ROOT });
  }
  const set = JSON.parse(readFileSync(file, 'utf8')) as TestSet;
  return { dir, set: { ...set, questions: set.questions.slice(0, QUESTIONS) } };
}

async function main() {
  const { dir, set } = await testSet();
  await ensureBuilt((line) => console.log(`  ${line}`));
  const plan = configs();
  const byVideo = new Map<string, TestQuestion[]>();
  for (const q of set.questions) byVideo.set(q.video, [...(byVideo.get(q.video) ?? []), q]);
  console.log(
    `bench:accuracy — ${set.questions.length} questions (${set.split}${SEED === null ? '' : ` seed ${SEED}`}) ` +
      `about ${byVideo.size} videos, ${plan.length} configurations each, ${FRAMES} frames, ` +
      `models ${DEMO_VLM.id} + ${DEMO_RELEVANCE.id} on ${PROVIDER}`,
  );
  const outcomes: Outcome[] = [];
  const stageMs = { relevance: 0, reduce: 0, prefill: 0, answer: 0 };
  const started = performance.now();
  const session = await openSession();
  const models = { vlm: DEMO_VLM.id, relevance: DEMO_RELEVANCE.id, provider: PROVIDER };
  let done = 0;
  try {
    for (const [video, questions] of byVideo) {
      const opened = await session.request<OpenResult>(
        'open',
        { frames: FRAMES },
        { file: join(dir, video) },
      );
      if (opened.error) throw new Error(`${video}: ${opened.error.message}`);
      for (const q of questions) {
        for (const c of plan) {
          const asked = await session.request<AskResult>('ask', {
            question: q.question,
            settings: settingsFor(c),
            models,
          });
          if (asked.error) throw new Error(`${video} "${q.question}": ${asked.error.message}`);
          const f = asked.result.figures;
          stageMs.relevance += f.timings.relevanceMs;
          stageMs.reduce += f.timings.reduceMs;
          stageMs.prefill += f.timings.prefillMs;
          stageMs.answer += f.timings.firstTokenMs + f.timings.decodeMs;
          outcomes.push({
            ...c,
            kind: q.kind,
            correct: isCorrect(asked.result.answer, q.answer),
            visualKept: f.visualKept,
            visualTotal: f.visualTotal,
            prefillFlops: f.prefillFlops,
            prefillFlopsUnpruned: f.prefillFlopsUnpruned,
          });
        }
        done++;
        if (done % 10 === 0 || done === set.questions.length) {
          const s = (performance.now() - started) / 1000;
          const eta = (s / done) * (set.questions.length - done);
          console.log(
            `  ${done}/${set.questions.length} questions, ${s.toFixed(0)} s (about ${eta.toFixed(0)} s left)`,
          );
        }
      }
    }
  } finally {
    await session.close();
  }
  const fresh = tally(outcomes);
  const seconds = (performance.now() - started) / 1000;
  const command = `npm run bench:accuracy -- ${process.argv.slice(2).join(' ')}`.trim();
  console.log(`\n${textTable(fresh)}\n`);
  for (const line of comparisons(fresh)) console.log(line);
  const unpruned = byKind(outcomes, (o) => o.keep >= 1);
  if (unpruned.length) console.log(`\nall tokens, by question kind: ${kindLine(unpruned)}`);
  const per = (ms: number) => `${(ms / outcomes.length).toFixed(0)} ms`;
  console.log(
    `\n${outcomes.length} answers in ${seconds.toFixed(0)} s; per answer: relevance ` +
      `${per(stageMs.relevance)}, reduction ${per(stageMs.reduce)}, prefill ${per(stageMs.prefill)}, ` +
      `whole answer ${per(stageMs.answer)}`,
  );

  const outDir = resolve(ROOT, opts.out);
  mkdirSync(outDir, { recursive: true });
  const meta = {
    command,
    split: set.split,
    seed: SEED,
    frames: FRAMES,
    questions: set.questions.length,
    videos: byVideo.size,
    models: { vlm: DEMO_VLM.id, relevance: DEMO_RELEVANCE.id, provider: PROVIDER },
    temperature: 2,
    mode: 'exact',
    seconds: Math.round(seconds),
  };
  const jsonPath = opts.json ? resolve(opts.json) : join(outDir, 'accuracy.json');
  const earlier =
    opts.merge && existsSync(jsonPath)
      ? (JSON.parse(readFileSync(jsonPath, 'utf8')) as { command: string; rows: AccuracyRow[] })
      : null;
  const rows = earlier ? mergeRows(earlier.rows, fresh) : fresh;
  const merged = earlier ? { merged: `${earlier.command}, then ${command}` } : {};
  writeFileSync(jsonPath, `${JSON.stringify({ ...meta, ...merged, rows }, null, 1)}\n`);
  const title = `Demo accuracy on ${set.questions.length} ${set.split} questions (${FRAMES} frames)`;
  writeFileSync(
    join(outDir, 'accuracy.md'),
    `${markdownTable(rows)}\n\n${comparisons(rows)
      .map((l) => `- ${l}`)
      .join(
        '\n',
      )}\n\nMade by \`${earlier ? `${earlier.command}\`, then \`${command}` : command}\`.\n`,
  );
  writeFileSync(join(outDir, 'accuracy.svg'), `${svgChart(rows, title)}\n`);
  console.log(`wrote ${jsonPath}, ${join(outDir, 'accuracy.md')}, ${join(outDir, 'accuracy.svg')}`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
