// Model packages in headless Chromium, through the pipeline worker, from a Hub stand-in that
// answers a web page as the real Hub does (tests/fixtures/hub-server.ts: the revision and tree
// APIs, a 302 to storage on another origin that refuses preflights and HEAD, gzip-compressed small
// files, 429 with Retry-After, a gated repo, cuts), into the page's OPFS cache, under the app's
// Content-Security-Policy: a first download whose cut connection resumes within the same question
// with a plain Range; the next question, after a reload, from the cache without a download; a file
// changed by a new commit fetched again, and only it; a SHA-256 mismatch; a gated repo; a rate
// limit; progress with bytes, percent and speed; the cache listed per package and cleared; every
// loading error (corrupt, missing, too large before any download, cancelled midway leaving its
// partial file). In a Chromium without a WebGPU adapter, the notice that the models run on the CPU
// backend. And `kvtp ask` with both models from the Hub (HF_ENDPOINT).
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openSession, type AutomationSession } from '../../cli/browser.ts';
import { DIST } from '../../cli/build.ts';
import { launchChromium } from '../../cli/chromium.ts';
import { contentSecurityPolicy } from '../../cli/csp.ts';
import { serveStatic } from '../../cli/serve.ts';
import type { AskResult, AskSettings } from '../../src/engine/types.ts';
import type {
  DownloadStatus,
  ModelCacheListing,
  ModelRef,
  OpenResult,
} from '../../src/worker/protocol.ts';
import { startHub, type HubRequest, type HubServer } from '../fixtures/hub-server.ts';
import { testVideo } from '../fixtures/videos.ts';
import { FIXTURE_SETTINGS } from './fixture-ask.ts';

const run = promisify(execFile);
const FIXTURE = new URL('../../public/models/fixture-vlm/', import.meta.url).pathname;
const RELEVANCE = new URL('../../public/models/fixture-relevance/', import.meta.url).pathname;
const REPOS = ['first', 'commit', 'sha', 'gated', 'rate', 'corrupt', 'missing', 'large', 'cancel'];
const DECODER = 'onnx/decoder_model_merged.onnx';

let hub: HubServer;
let session: AutomationSession;
let video: string;
/** What the page's console said of its Content-Security-Policy (nothing, when all is allowed). */
const violations: string[] = [];

async function openVideo() {
  const opened = await session.request<OpenResult>('open', { frames: 4 }, { file: video });
  if (opened.error) throw new Error(opened.error.message);
}

beforeAll(async () => {
  hub = await startHub(
    {
      ...Object.fromEntries(REPOS.map((r) => [`kvtp-tests/${r}`, FIXTURE])),
      'kvtp-tests/cli': FIXTURE,
      'kvtp-tests/cli-relevance': RELEVANCE,
    },
    { gated: ['kvtp-tests/gated'] },
  );
  video = await testVideo('h264-bframes');
  session = await openSession({
    endpoints: [hub.url],
    onConsole: (line) => {
      if (/Content.Security.Policy/i.test(line)) violations.push(line);
    },
  });
  await openVideo();
});
afterAll(async () => {
  await session?.close();
  await hub?.close();
});
beforeEach(() => hub.reset());

const settings: AskSettings = {
  ...FIXTURE_SETTINGS,
  keepRatio: 0.5,
  generation: { ...FIXTURE_SETTINGS.generation, maxTokens: 2 },
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

/** A new page (same browser profile, so the same OPFS): the worker starts with nothing loaded. */
async function reload() {
  await session.page.reload();
  await session.page.waitForFunction(() => 'kvtp' in window);
  await openVideo();
}

/** What a page may send from its own accord and still need no CORS preflight: a plain Range. */
function safelisted(requests: readonly HubRequest[]) {
  for (const r of requests) {
    expect(r.method, r.url).toBe('GET');
    expect(
      r.headers.filter((h) => h !== 'range'),
      r.url,
    ).toEqual([]);
    expect(r.ifRange, r.url).toBeUndefined();
    if (r.range) expect(r.range, r.url).toMatch(/^bytes=\d+-$/);
  }
}

/** Bytes of the file at `path` of the fixture package. */
const fixtureBytes = (path: string) => readFileSync(`${FIXTURE}${path}`);

describe('a package from the Hub, in the browser', () => {
  it('downloads once, resumes a cut within the same question, then answers from the cache', async () => {
    hub.faults.cutAfter.set(DECODER, 100_000);
    const downloads: DownloadStatus[] = [];
    const first = await askHub('first', (e) => {
      const ev = e as { type: string; download?: DownloadStatus };
      if (ev.type === 'progress' && ev.download) downloads.push(ev.download);
    });
    if (first.error) throw new Error(`${first.error.code}: ${first.error.message}`);
    expect(first.result.model).toBe('fixture-vlm');
    safelisted(hub.requests);
    const commit = hub.commitOf('kvtp-tests/first');
    // the decoder: cut, then the rest from the bytes stored, in the same question
    const decoder = hub.requests.filter((r) => r.origin === 'storage');
    const resumed = decoder.filter((r) => r.range);
    expect(resumed).toHaveLength(1);
    expect(resumed[0]!.status).toBe(206);
    const from = Number(/\d+/.exec(resumed[0]!.range!)![0]);
    expect(from).toBeGreaterThan(0);
    expect(from).toBeLessThanOrEqual(100_000);
    // nothing downloaded twice: each file once from the pinned commit, the decoder's rest aside
    // (config.json is read first, at main, to know which model the repo is)
    const resolves = hub.requests.filter(
      (r) => r.url.includes('/resolve/') && r.url !== '/kvtp-tests/first/resolve/main/config.json',
    );
    expect(resolves.map((r) => r.url).filter((u) => !u.includes(`/resolve/${commit}/`))).toEqual(
      [],
    );
    const urls = resolves.map((r) => r.url);
    expect(new Set(urls).size).toBe(urls.length - 1); // the decoder's 302, asked again to resume
    expect(decoder.filter((r) => !r.range)).toHaveLength(4); // the four LFS files, once each
    // progress carries bytes, totals, percent and speed up to the worker's events
    const last = downloads.filter((d) => d.model === 'fixture-vlm').at(-1)!;
    expect(last).toMatchObject({ model: 'fixture-vlm', files: 7, percent: 100 });
    expect(last.packageBytes).toBe(last.packageTotalBytes);
    const dec = downloads.filter((d) => d.file === DECODER && !d.fromCache);
    expect(dec.at(-1)!.bytes).toBe(fixtureBytes(DECODER).byteLength);
    expect(dec.every((d) => typeof d.bytesPerSecond === 'number')).toBe(true);
    const listing = await cache();
    expect(listing.persistent).toBe(true);
    const pkg = listing.packages.find((p) => p.repo === 'kvtp-tests/first')!;
    expect(pkg).toMatchObject({ state: 'complete', revision: 'main' });
    expect(pkg.files.every((f) => f.complete && f.expectedBytes === f.bytes)).toBe(true);
    // a later question, in a new page: the commit asked, nothing downloaded
    await reload();
    hub.requests.length = 0;
    const again = await askHub('first');
    expect(again.error).toBeUndefined();
    expect(hub.requests.filter((r) => r.origin === 'storage')).toEqual([]);
    // the Hub is asked the commit, and config.json (to know which model the repo is)
    expect(hub.requests.map((r) => r.url).sort()).toEqual([
      '/api/models/kvtp-tests/first/revision/main',
      '/kvtp-tests/first/resolve/main/config.json',
    ]);
    const left = await session.request<ModelCacheListing>('clearModelCache', {
      package: pkg.key,
    });
    expect(left.result!.packages.find((p) => p.key === pkg.key)).toBeUndefined();
  });

  it('fetches again the file a new commit changed, and only it', async () => {
    expect((await askHub('commit')).error).toBeUndefined();
    const text = fixtureBytes('tokenizer.json').toString('utf8');
    const commit = hub.update('kvtp-tests/commit', 'tokenizer.json', Buffer.from(`${text}\n`));
    await reload();
    hub.requests.length = 0;
    const asked = await askHub('commit');
    if (asked.error) throw new Error(`${asked.error.code}: ${asked.error.message}`);
    const fetched = hub.requests.filter(
      (r) => r.url.includes('/resolve/') && !r.url.endsWith('/config.json'),
    );
    expect(fetched.map((r) => r.url)).toEqual([
      `/kvtp-tests/commit/resolve/${commit}/tokenizer.json`,
    ]);
    expect(hub.requests.filter((r) => r.origin === 'storage')).toEqual([]);
    const pkg = (await cache()).packages.find((p) => p.repo === 'kvtp-tests/commit')!;
    expect(pkg.state).toBe('complete');
  });

  it('says corrupt-file when the bytes are not the listed SHA-256, and gets them right next time', async () => {
    hub.faults.damage.add(DECODER);
    expect((await askHub('sha')).error).toMatchObject({
      code: 'corrupt-file',
      message: expect.stringMatching(/decoder_model_merged\.onnx: its SHA-256 is [0-9a-f]{64}/),
    });
    const pkg = (await cache()).packages.find((p) => p.repo === 'kvtp-tests/sha')!;
    expect(pkg.files.find((f) => f.path === DECODER)).toBeUndefined(); // nothing damaged kept
    hub.requests.length = 0;
    expect((await askHub('sha')).error).toBeUndefined();
    expect(hub.requests.filter((r) => r.origin === 'storage').map((r) => r.status)).toEqual([200]);
  });

  it('says access-denied for a gated repo', async () => {
    const asked = await askHub('gated');
    expect(asked.error).toMatchObject({
      code: 'access-denied',
      message: expect.stringMatching(/gated or private/),
    });
  });

  it('waits out a rate limit (429 with Retry-After) and answers', async () => {
    hub.faults.rateLimit = 2;
    const asked = await askHub('rate');
    if (asked.error) throw new Error(`${asked.error.code}: ${asked.error.message}`);
    expect(hub.requests.filter((r) => r.status === 429)).toHaveLength(2);
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
    expect(hub.requests.filter((r) => r.origin === 'storage')).toEqual([]);
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

  it('met no Content-Security-Policy refusal in all of this', () => {
    expect(violations).toEqual([]);
  });
});

describe('without WebGPU', () => {
  it('says, with the reason, that the models run on the CPU backend', async () => {
    const server = await serveStatic(DIST, { csp: contentSecurityPolicy() });
    const browser = await launchChromium({ webgpu: false });
    try {
      const page = await browser.newPage();
      const events: { type: string; code?: string; reason?: { code: string } }[] = [];
      await page.exposeFunction('kvtpEvent', (_tag: string, e: (typeof events)[number]) =>
        events.push(e),
      );
      const refused: string[] = []; // the built page's own policy, with ONNX Runtime's wasm
      page.on('console', (m) => {
        if (/Content.Security.Policy/i.test(m.text())) refused.push(m.text());
      });
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
      expect(refused).toEqual([]);
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
  it('takes package directories, and Hub repos from HF_ENDPOINT: a cut resumed, nothing twice', async () => {
    const args = (model: string, relevance: string) => [
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
      relevance,
      '--json',
    ];
    const fromDir = JSON.parse(
      (await run('node', args(FIXTURE, RELEVANCE), { maxBuffer: 1 << 24 })).stdout,
    ) as Record<string, unknown>;
    expect(fromDir).toMatchObject({
      model: 'fixture-vlm',
      provider: 'webgpu',
      notices: [],
      sources: { vlm: FIXTURE.replace(/\/$/, ''), relevance: RELEVANCE.replace(/\/$/, '') },
    });
    hub.reset();
    hub.faults.cutAfter.set(DECODER, 100_000);
    const env = { ...process.env, HF_ENDPOINT: hub.url };
    const fromHub = JSON.parse(
      (
        await run('node', args('kvtp-tests/cli@main', 'kvtp-tests/cli-relevance'), {
          env,
          maxBuffer: 1 << 24,
        })
      ).stdout,
    ) as Record<string, unknown>;
    expect(fromHub).toMatchObject({ model: 'fixture-vlm', provider: 'webgpu' });
    expect(typeof fromHub.answer).toBe('string');
    safelisted(hub.requests);
    for (const repo of ['kvtp-tests/cli', 'kvtp-tests/cli-relevance']) {
      const commit = hub.commitOf(repo);
      const mine = hub.requests.filter((r) => r.url.startsWith(`/${repo}/resolve/`));
      const pinned = mine.filter((r) => r.url.startsWith(`/${repo}/resolve/${commit}/`));
      expect(mine.filter((r) => !pinned.includes(r)).map((r) => r.url)).toEqual([
        `/${repo}/resolve/main/config.json`,
      ]);
      const urls = pinned.map((r) => r.url);
      const again = repo === 'kvtp-tests/cli' ? 1 : 0; // the decoder's 302, to resume
      expect(new Set(urls).size, repo).toBe(urls.length - again);
    }
    // the decoder resumed from the bytes stored, within the same question
    const resumed = hub.requests.filter((r) => r.origin === 'storage' && r.range);
    expect(resumed).toHaveLength(1);
    expect(resumed[0]).toMatchObject({
      status: 206,
      range: expect.stringMatching(/^bytes=[1-9]\d*-$/),
    });
    const bad = await run('node', args('no/such/thing', RELEVANCE), { maxBuffer: 1 << 24 }).catch(
      (x: { code: number; stdout: string }) => x,
    );
    expect((bad as { code: number }).code).toBe(2);
    expect(JSON.parse((bad as { stdout: string }).stdout).error.code).toBe('usage');
  });
});
