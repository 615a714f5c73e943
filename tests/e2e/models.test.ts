// Model packages in headless Chromium, through the pipeline worker: from directories the command
// line serves and from a Hub stand-in on another origin (tests/fixtures/hub-server.ts: redirects,
// X-Linked-Size, Range, ETag, CORS) into the page's OPFS cache. A download broken off and resumed
// with Range + If-Range; progress with bytes, percent and speed; the cache listed per package and
// cleared; and every loading error: network, corrupt file, missing file, too large (before any
// download), and a download cancelled midway that leaves its partial file to resume. In a Chromium
// without a WebGPU adapter, the notice that the models run on the CPU backend.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openSession, type AutomationSession } from '../../cli/browser.ts';
import { DIST } from '../../cli/build.ts';
import { launchChromium } from '../../cli/chromium.ts';
import { serveStatic } from '../../cli/serve.ts';
import type { AskResult, AskSettings } from '../../src/worker/ask-types.ts';
import type {
  DownloadStatus,
  ModelCacheListing,
  ModelRef,
  OpenResult,
} from '../../src/worker/protocol.ts';
import { startHub, type HubServer } from '../fixtures/hub-server.ts';
import { testVideo } from '../fixtures/videos.ts';

const run = promisify(execFile);
const FIXTURE = new URL('../../public/models/fixture-vlm/', import.meta.url).pathname;
const RELEVANCE = new URL('../../public/models/fixture-relevance/', import.meta.url).pathname;
const REPOS = ['resume', 'corrupt', 'missing', 'large', 'cancel', 'cli'];
const DECODER = 'onnx/decoder_model_merged.onnx';

let hub: HubServer;
let session: AutomationSession;
let video: string;
beforeAll(async () => {
  hub = await startHub(Object.fromEntries(REPOS.map((r) => [`kvtp-tests/${r}`, FIXTURE])));
  [session, video] = await Promise.all([openSession(), testVideo('h264-bframes')]);
  const opened = await session.request<OpenResult>('open', { frames: 4 }, { file: video });
  if (opened.error) throw new Error(opened.error.message);
});
afterAll(async () => {
  await session?.close();
  await hub?.close();
});
beforeEach(() => {
  hub.requests.length = 0;
  hub.faults.cutAfter.clear();
  hub.faults.claimSize.clear();
  hub.faults.missing.clear();
  hub.faults.slow.clear();
});

const settings: AskSettings = {
  method: 'tome',
  allocation: 'kvtp',
  keepRatio: 0.5,
  temperature: 2,
  minPerFrame: 1,
  head: 'logit',
  seed: 0,
  generation: { maxTokens: 2, temperature: 0, topP: 1 },
};
const hubRef = (name: string): ModelRef => ({
  kind: 'hub',
  repo: `kvtp-tests/${name}`,
  endpoint: hub.url,
});

function askHub(name: string, onEvent?: (e: unknown) => void) {
  return session.request<AskResult>(
    'ask',
    {
      question: 'What colour?',
      settings,
      models: { vlm: hubRef(name), relevance: 'fixture-relevance' },
    },
    onEvent ? { onEvent } : {},
  );
}

async function cache(): Promise<ModelCacheListing> {
  const c = await session.request<ModelCacheListing>('modelCache', {});
  if (c.error) throw new Error(c.error.message);
  return c.result;
}

describe('a package from the Hub, in the browser', () => {
  it('resumes a broken download with Range and If-Range, into OPFS', async () => {
    hub.faults.cutAfter.set(DECODER, 100_000);
    const first = await askHub('resume');
    expect(first.error).toMatchObject({ code: 'network' });
    const partial = (await cache()).packages.find((p) => p.repo === 'kvtp-tests/resume')!;
    expect(partial.state).toBe('partial');
    const part = partial.files.find((f) => f.path === DECODER)!;
    expect(part.complete).toBe(false);
    expect(part.bytes).toBeGreaterThan(0);
    expect(part.bytes).toBeLessThanOrEqual(100_000);
    hub.requests.length = 0;
    const downloads: DownloadStatus[] = [];
    const second = await askHub('resume', (e) => {
      const ev = e as { type: string; download?: DownloadStatus };
      if (ev.type === 'progress' && ev.download) downloads.push(ev.download);
    });
    if (second.error) throw new Error(`${second.error.code}: ${second.error.message}`);
    expect(second.result.model).toBe('fixture-vlm');
    const resumed = hub.requests.find((r) => r.method === 'GET' && r.url.endsWith(DECODER));
    expect(resumed).toMatchObject({
      range: `bytes=${part.bytes}-`,
      ifRange: expect.stringMatching(/^"/),
    });
    // progress carries bytes, totals, percent and speed up to the worker's events
    const last = downloads.filter((d) => d.model === 'fixture-vlm').at(-1)!;
    expect(last).toMatchObject({ model: 'fixture-vlm', files: 5, percent: 100 });
    expect(last.packageBytes).toBe(last.packageTotalBytes);
    const decoder = downloads.filter((d) => d.file === DECODER && !d.fromCache);
    expect(decoder.at(-1)!.bytes).toBe(decoder.at(-1)!.totalBytes);
    expect(decoder.every((d) => typeof d.bytesPerSecond === 'number')).toBe(true);
    const listing = await cache();
    expect(listing.persistent).toBe(true);
    const pkg = listing.packages.find((p) => p.repo === 'kvtp-tests/resume')!;
    expect(pkg).toMatchObject({ state: 'complete', revision: 'main' });
    expect(pkg.files.every((f) => f.complete && f.expectedBytes === f.bytes)).toBe(true);
    // cached: the next question asks the Hub nothing
    hub.requests.length = 0;
    expect((await askHub('resume')).error).toBeUndefined();
    expect(hub.requests).toEqual([]);
    const left = await session.request<ModelCacheListing>('clearModelCache', {
      package: pkg.key,
    });
    expect(left.result!.packages.find((p) => p.key === pkg.key)).toBeUndefined();
  });

  it('says corrupt-file, missing-file and too-large as the worker’s errors', async () => {
    hub.faults.claimSize.set('onnx/embed_tokens.onnx', 1234);
    expect((await askHub('corrupt')).error).toMatchObject({
      code: 'corrupt-file',
      message: expect.stringContaining('onnx/embed_tokens.onnx'),
    });
    hub.faults.claimSize.clear();
    hub.faults.missing.add('tokenizer.json');
    expect((await askHub('missing')).error).toMatchObject({
      code: 'missing-file',
      message: expect.stringContaining('tokenizer.json'),
    });
    hub.faults.missing.clear();
    hub.requests.length = 0;
    hub.faults.claimSize.set(DECODER, 3 * 2 ** 30);
    expect((await askHub('large')).error).toMatchObject({
      code: 'too-large',
      message: expect.stringMatching(/decoder_model_merged\.onnx.*2 GiB/),
    });
    expect(hub.requests.filter((r) => r.method === 'GET' && r.url.endsWith('.onnx'))).toEqual([]);
  });

  it('can be cancelled midway, keeping the partial file to resume from', async () => {
    hub.faults.slow.set(DECODER, 50);
    let cancelled = false;
    const asked = askHub('cancel', (e) => {
      const ev = e as { type: string; download?: DownloadStatus };
      if (!cancelled && ev.download?.file === DECODER && ev.download.bytes > 30_000) {
        cancelled = true;
        void session.page.evaluate(() => window.kvtp.cancelAll());
      }
    });
    expect((await asked).error).toMatchObject({ code: 'cancelled' });
    const pkg = (await cache()).packages.find((p) => p.repo === 'kvtp-tests/cancel')!;
    const part = pkg.files.find((f) => f.path === DECODER)!;
    expect(pkg.state).toBe('partial');
    expect(part.complete).toBe(false);
    expect(part.bytes).toBeGreaterThan(30_000);
    expect(part.bytes).toBeLessThan(part.expectedBytes!);
  });
});

describe('without WebGPU', () => {
  it('says, with the reason, that the models run on the CPU backend', async () => {
    const server = await serveStatic(DIST);
    const browser = await launchChromium({ webgpu: false });
    try {
      const page = await browser.newPage();
      const events: { type: string; code?: string; reason?: { code: string } }[] = [];
      await page.exposeFunction('kvtpEvent', (_tag: string, e: (typeof events)[number]) =>
        events.push(e),
      );
      await page.goto(`${server.url}/automation.html`);
      await page.waitForFunction(() => 'kvtp' in window);
      await page.setInputFiles('#file', video);
      const opened = await page.evaluate(() =>
        window.kvtp.request('open', { frames: 2 }, { fileArg: 'file' }),
      );
      expect(opened.error).toBeUndefined();
      const models = { vlm: 'fixture-vlm', relevance: 'fixture-relevance' };
      const asked = await page.evaluate((a) => window.kvtp.request('ask', a, { tag: 'ask' }), {
        question: 'What colour?',
        settings,
        models,
      });
      expect(asked.error).toBeUndefined();
      expect((asked.result as AskResult).provider).toBe('wasm');
      const notices = events.filter((e) => e.type === 'notice');
      expect(notices).toEqual([
        expect.objectContaining({
          code: 'wasm-fallback',
          reason: expect.objectContaining({ code: 'no-adapter' }),
        }),
      ]);
    } finally {
      await browser.close();
      await server.close();
    }
  });
});

describe('kvtp ask --model / --relevance', () => {
  it('takes package directories and Hub repos (HF_ENDPOINT), and reports the provider', async () => {
    const args = (model: string) => [
      'bin/kvtp.mjs',
      'ask',
      video,
      'What colour?',
      '--frames',
      '2',
      '--max-tokens',
      '2',
      '--model',
      model,
      '--relevance',
      RELEVANCE,
      '--json',
    ];
    const fromDir = JSON.parse(
      (await run('node', args(FIXTURE), { maxBuffer: 1 << 24 })).stdout,
    ) as Record<string, unknown>;
    expect(fromDir).toMatchObject({
      model: 'fixture-vlm',
      provider: 'webgpu',
      notices: [],
      sources: { vlm: FIXTURE.replace(/\/$/, ''), relevance: RELEVANCE.replace(/\/$/, '') },
    });
    hub.requests.length = 0;
    const env = { ...process.env, HF_ENDPOINT: hub.url };
    const fromHub = JSON.parse(
      (await run('node', args('kvtp-tests/cli@main'), { env, maxBuffer: 1 << 24 })).stdout,
    ) as Record<string, unknown>;
    expect(fromHub).toMatchObject({ model: 'fixture-vlm', provider: 'webgpu' });
    expect(hub.requests.some((r) => r.url === '/kvtp-tests/cli/resolve/main/config.json')).toBe(
      true,
    );
    expect(
      hub.requests.some((r) => r.url.startsWith(`/kvtp-tests/cli/resolve/${hub.commit}/`)),
    ).toBe(true);
    const bad = await run('node', args('no/such/thing'), { maxBuffer: 1 << 24 }).catch(
      (x: { code: number; stdout: string }) => x,
    );
    expect((bad as { code: number }).code).toBe(2);
    expect(JSON.parse((bad as { stdout: string }).stdout).error.code).toBe('usage');
  });
});
