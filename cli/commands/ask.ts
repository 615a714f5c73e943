// `kvtp ask VIDEO "QUESTION" [options] [--json]`: open the video in the browser pipeline, ask,
// print the answer with KVTP's selection and the figures (JSON: the AskResult). `--model` and
// `--relevance` take a package directory, a package id or a Hub repo (cli/model-arg.ts).

import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { intOption, numberOption, parse, UsageError } from '../args.ts';
import { openSession } from '../browser.ts';
import { modelArg } from '../model-arg.ts';
import { errorValue, output } from '../output.ts';
import {
  DEMO_NOTICE_CODE,
  demoNoticeMessage,
  needsDemoNotice,
  type SampleRef,
} from '../../src/models/demo-notice.ts';
import { DEFAULT_RELEVANCE, DEFAULT_VLM } from '../../src/models/registry.ts';
import { DEFAULT_FRAMES, MAX_FRAMES, MIN_FRAMES } from '../../src/video/types.ts';
import type { AskResult, AskSettings } from '../../src/engine/types.ts';
import type { DownloadStatus, OpenResult } from '../../src/worker/protocol.ts';

const USAGE =
  'usage: kvtp ask VIDEO "QUESTION" [--model PATH|ID|HUB_ID] [--relevance PATH|ID|HUB_ID] ' +
  '[--method none|random|tome|prumerge] [--allocation exact|paper|uniform|hard] [--keep 0.2] ' +
  '[--temperature 2] [--frames 32] [--min-per-frame 1] [--max-tokens 64] [--seed 0] ' +
  '[--head logit|learned] [--provider auto|wasm] [--json]   (HUB_ID: owner/name[@revision]; ' +
  'HF_ENDPOINT picks a Hub mirror)';

/** One line of download progress: file, bytes, percent of the package, speed. */
function downloadLine(d: DownloadStatus): string {
  const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
  const of = d.totalBytes > 0 ? `${mb(d.bytes)}/${mb(d.totalBytes)}` : mb(d.bytes);
  const speed = d.bytesPerSecond > 0 ? `, ${mb(d.bytesPerSecond)}/s` : '';
  return `${d.model} ${d.fileIndex + 1}/${d.files} ${d.file}: ${of} (${d.percent.toFixed(0)} %${speed})`;
}

/** The demo's sample videos (public/samples/samples.json), for the demo notice. */
function demoSamples(): SampleRef[] {
  try {
    const url = new URL('../../public/samples/samples.json', import.meta.url);
    return (JSON.parse(readFileSync(url, 'utf8')) as { samples: SampleRef[] }).samples;
  } catch {
    return [];
  }
}

/** Allocation names kvtp-web accepted before they were one name everywhere ('kvtp' is 'exact'). */
const LEGACY_ALLOCATION: Readonly<Record<string, string>> = { kvtp: 'exact' };

function oneOf<T extends string>(
  value: string | undefined,
  name: string,
  allowed: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T))
    throw new UsageError(`--${name} must be one of ${allowed.join(', ')}`);
  return value as T;
}

export async function askCommand(argv: string[]): Promise<number> {
  const out = output(argv.includes('--json'));
  try {
    const { values, positionals } = parse(argv, {
      question: { type: 'string' },
      frames: { type: 'string' },
      method: { type: 'string' },
      allocation: { type: 'string' },
      keep: { type: 'string' },
      temperature: { type: 'string' },
      'min-per-frame': { type: 'string' },
      head: { type: 'string' },
      'max-tokens': { type: 'string' },
      seed: { type: 'string' },
      model: { type: 'string' },
      relevance: { type: 'string' },
      provider: { type: 'string' },
      json: { type: 'boolean' },
    });
    const question = values.question ?? positionals[1];
    if (positionals.length !== (values.question ? 1 : 2) || !question) {
      return out.error({ code: 'usage', message: USAGE }, 2);
    }
    const settings: AskSettings = {
      method: oneOf(
        values.method,
        'method',
        ['none', 'random', 'tome', 'prumerge'] as const,
        'tome',
      ),
      allocation: oneOf(
        LEGACY_ALLOCATION[values.allocation ?? ''] ?? values.allocation,
        'allocation',
        ['exact', 'paper', 'uniform', 'hard'] as const,
        'exact',
      ),
      keepRatio: numberOption(values.keep, 'keep', 0.2, 0.001, 1),
      temperature: numberOption(values.temperature, 'temperature', 2, 0.001, 1000),
      minPerFrame: intOption(values['min-per-frame'], 'min-per-frame', 1, 0, 100000),
      head: oneOf(values.head, 'head', ['logit', 'learned'] as const, 'logit'),
      seed: intOption(values.seed, 'seed', 0, 0, 2 ** 31),
      generation: {
        maxTokens: intOption(values['max-tokens'], 'max-tokens', 64, 1, 4096),
        temperature: 0,
        topP: 1,
      },
    };
    const provider = oneOf(values.provider, 'provider', ['auto', 'wasm'] as const, 'auto');
    const frames = intOption(values.frames, 'frames', DEFAULT_FRAMES, MIN_FRAMES, MAX_FRAMES);
    const path = resolve(positionals[0]!);
    if (!existsSync(path) || !statSync(path).isFile()) {
      return out.error({ code: 'not-found', message: `No such file: ${positionals[0]}` });
    }
    const vlm = modelArg(values.model ?? DEFAULT_VLM.id, 'vlm');
    const relevance = modelArg(values.relevance ?? DEFAULT_RELEVANCE.id, 'relevance');
    const session = await openSession({
      log: out.progress,
      serve: { mounts: { ...vlm.mounts, ...relevance.mounts } },
      // a mirror's host joins the page's connect-src; no other host is reachable from it
      endpoints: process.env.HF_ENDPOINT ? [process.env.HF_ENDPOINT] : [],
    });
    try {
      const opened = await session.request<OpenResult>('open', { frames }, { file: path });
      if (opened.error) return out.error(opened.error);
      let streamed = '';
      const notices: { code: string; message: string }[] = [];
      // the demo model and a video that is not one of its samples: said before the answer
      const video = { name: basename(path), duration: opened.result!.info.duration };
      if (needsDemoNotice(vlm.ref, video, demoSamples())) {
        notices.push({ code: DEMO_NOTICE_CODE, message: demoNoticeMessage() });
        if (!out.json) process.stderr.write(`kvtp: ${demoNoticeMessage()}\n`);
      }
      const asked = await session.request<AskResult>(
        'ask',
        { question, settings, models: { vlm: vlm.ref, relevance: relevance.ref, provider } },
        {
          onEvent: (e) => {
            const ev = e as {
              type: string;
              text?: string;
              stage?: string;
              code?: string;
              message?: string;
              download?: DownloadStatus;
            };
            if (ev.type === 'token') {
              streamed += ev.text;
              out.progress(streamed);
            } else if (ev.type === 'progress') {
              out.progress(ev.download ? downloadLine(ev.download) : (ev.stage ?? ''));
            } else if (ev.type === 'notice') {
              notices.push({ code: ev.code!, message: ev.message! });
              if (!out.json) process.stderr.write(`\nkvtp: ${ev.message}\n`);
            }
          },
        },
      );
      if (asked.error) return out.error(asked.error);
      const r = asked.result;
      const f = r.figures;
      const t = f.timings;
      const report = {
        answer: r.answer,
        model: r.model,
        provider: r.provider,
        sources: { vlm: vlm.source, relevance: relevance.source },
        notices,
        settings,
        frames: r.selection.frames.map((fr) => ({
          t: fr.t,
          score: fr.score,
          keep: fr.keep,
          tokens: fr.tokens,
          indices: fr.indices,
          groups: fr.groups,
        })),
        tokens: {
          visual_total: f.visualTotal,
          visual_kept: f.visualKept,
          prompt: f.promptTokens,
          prompt_unpruned: f.promptTokensUnpruned,
          generated: f.generatedTokens,
        },
        prefill_flops: f.prefillFlops,
        prefill_flops_unpruned: f.prefillFlopsUnpruned,
        timings: {
          decode_ms: t.decodeMs,
          vision_ms: t.visionMs,
          relevance_ms: t.relevanceMs,
          reduce_ms: t.reduceMs,
          prefill_ms: t.prefillMs,
          first_token_ms: t.firstTokenMs,
          tokens_per_s: t.tokensPerSecond,
        },
        stop: r.stop,
        streamed,
      };
      return out.result(report, () =>
        [
          r.answer,
          `(${r.model} on ${r.provider}: ${r.figures.visualKept}/${r.figures.visualTotal} vision tokens, ` +
            `${r.figures.promptTokens} prompt tokens, prefill ${((r.figures.prefillFlops / r.figures.prefillFlopsUnpruned) * 100).toFixed(0)} % of unpruned)`,
        ].join('\n'),
      );
    } finally {
      await session.close();
    }
  } catch (e) {
    const err = errorValue(e);
    return out.error(err, err.code === 'usage' ? 2 : 1);
  }
}
