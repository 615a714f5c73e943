// A package from the Hub, in Node, against a local stand-in that answers as the Hub does
// (tests/fixtures/hub-server.ts: the revision and tree APIs, 302 to storage on another origin,
// gzip-compressed small files, 429, gated repos, cuts): one commit pinned per load, every size and
// hash from the listing before any byte comes, downloads only from that commit with a plain
// Range, a cut resumed within the same load, a file changed by a new commit fetched again (and
// only it), damaged bytes, a lying size, a missing file, a model too large for the device, a
// mirror without the API (sizes by `Range: bytes=0-0`), and offline from the cache.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertFits } from '../../src/models/fit.ts';
import { loadPackageFiles, type PackageProgress } from '../../src/models/loader.ts';
import { manifestFiles, type VlmManifest } from '../../src/models/manifest.ts';
import { FIXTURE_VLM } from '../../src/models/registry.ts';
import { MemoryStore } from '../../src/models/store.ts';
import { startHub, type HubServer } from '../fixtures/hub-server.ts';

const REPO = 'kvtp-tests/fixture-vlm';
const GATED = 'kvtp-tests/gated';
const CHANGING = 'kvtp-tests/changing';
const PUBLIC = new URL('../../public/models/fixture-vlm/', import.meta.url).pathname;
const DECODER = 'onnx/decoder_model_merged.onnx';
let hub: HubServer;
const files = manifestFiles(FIXTURE_VLM, 'fp32');
const pkgOf = (repo: string, endpoint = hub.url): VlmManifest => ({
  ...FIXTURE_VLM,
  source: { kind: 'hub', repo, revision: 'main', endpoint },
});

beforeAll(async () => {
  hub = await startHub({ [REPO]: PUBLIC, [GATED]: PUBLIC, [CHANGING]: PUBLIC }, { gated: [GATED] });
});
afterAll(async () => {
  await hub.close();
});
beforeEach(() => hub.reset());

const downloads = () => hub.requests.filter((r) => !r.url.startsWith('/api/'));

describe('a Hub package', () => {
  it('pins one commit, takes sizes and hashes from the listing, and is then served from the cache', async () => {
    const store = new MemoryStore();
    const seenSizes: Map<string, number>[] = [];
    const progress: PackageProgress[] = [];
    const pkg = pkgOf(REPO);
    const got = await loadPackageFiles(pkg, 'fp32', {
      store,
      beforeDownload: (s) => {
        seenSizes.push(new Map(s));
        expect(downloads()).toEqual([]); // nothing downloaded before the check
      },
      onProgress: (p) => progress.push(p),
    });
    expect([...got.keys()]).toEqual(files);
    const commit = hub.commitOf(REPO);
    expect(hub.requests.filter((r) => r.url.startsWith('/api/')).map((r) => r.url)).toEqual([
      `/api/models/${REPO}/revision/main`,
      `/api/models/${REPO}/tree/${commit}?recursive=true`,
    ]);
    for (const f of files) {
      expect(seenSizes[0]!.get(f), f).toBe(readFileSync(join(PUBLIC, f)).byteLength);
      const bytes = Buffer.from(await got.get(f)!.arrayBuffer());
      expect(bytes.equals(readFileSync(join(PUBLIC, f))), f).toBe(true);
    }
    // every download from the pinned commit; LFS files through storage; no HEAD, no preflight
    const hubGets = downloads().filter((r) => r.origin === 'hub');
    expect(hubGets.map((r) => r.url).sort()).toEqual(
      files.map((f) => `/${REPO}/resolve/${commit}/${f}`).sort(),
    );
    const lfs = files.filter((f) => /\.onnx(_data)?$/.test(f));
    expect(downloads().filter((r) => r.origin === 'storage')).toHaveLength(lfs.length);
    expect(hub.requests.every((r) => r.method === 'GET' && r.headers.length === 0)).toBe(true);
    const total = [...seenSizes[0]!.values()].reduce((a, b) => a + b, 0);
    expect(progress.at(-1)).toMatchObject({ packageLoaded: total, packageTotal: total });
    const entries = await store.list();
    expect(entries).toHaveLength(files.length);
    for (const e of entries) {
      expect(e).toMatchObject({ complete: true, expectedSize: e.size, commit });
    }
    for (const e of entries) {
      const isLfs = lfs.some((f) => e.key.endsWith(`/${f}`));
      expect(Boolean(e.sha256), e.key).toBe(isLfs); // LFS files checked by SHA-256
    }
    // the next load asks the commit and downloads nothing
    hub.requests.length = 0;
    await loadPackageFiles(pkg, 'fp32', { store });
    expect(hub.requests.map((r) => r.url)).toEqual([`/api/models/${REPO}/revision/main`]);
    // offline (the Hub unreachable): from the cache
    await loadPackageFiles(pkgOf(REPO, 'http://127.0.0.1:9'), 'fp32', { store });
  });

  it('resumes a cut download within the same load, with a plain Range', async () => {
    const store = new MemoryStore();
    hub.faults.cutAfter.set(DECODER, 100_000);
    const got = await loadPackageFiles(pkgOf(REPO), 'fp32', { store });
    const decoder = hub.requests.filter((r) => r.origin === 'storage' && r.status !== 302);
    const ranged = decoder.filter((r) => r.range);
    expect(ranged).toHaveLength(1);
    expect(ranged[0]).toMatchObject({ status: 206, headers: ['range'] });
    expect(ranged[0]!.range).toMatch(/^bytes=[1-9]\d*-$/);
    expect(hub.requests.some((r) => r.ifRange)).toBe(false);
    const whole = Buffer.from(await got.get(DECODER)!.arrayBuffer());
    expect(whole.equals(readFileSync(join(PUBLIC, DECODER)))).toBe(true);
  });

  it('starts over when storage ignores the range', async () => {
    hub.faults.cutAfter.set(DECODER, 100_000);
    hub.faults.ignoreRange.add(DECODER);
    const got = await loadPackageFiles(pkgOf(REPO), 'fp32', { store: new MemoryStore() });
    expect(hub.requests.filter((r) => r.origin === 'storage' && r.range)[0]).toMatchObject({
      status: 200,
    });
    const whole = Buffer.from(await got.get(DECODER)!.arrayBuffer());
    expect(whole.equals(readFileSync(join(PUBLIC, DECODER)))).toBe(true);
  });

  it('says corrupt-file when the bytes are not the listed SHA-256, and fetches them again next time', async () => {
    const store = new MemoryStore();
    hub.faults.damage.add(DECODER);
    await expect(loadPackageFiles(pkgOf(REPO), 'fp32', { store })).rejects.toMatchObject({
      code: 'corrupt-file',
      message: expect.stringMatching(/decoder_model_merged\.onnx: its SHA-256 is [0-9a-f]{64}/),
    });
    expect((await store.list()).some((e) => e.key.endsWith(DECODER))).toBe(false);
    await loadPackageFiles(pkgOf(REPO), 'fp32', { store });
  });

  it('calls a file corrupt when it is longer than the listing says', async () => {
    hub.faults.claimSize.set('onnx/embed_tokens.onnx', 12_345);
    await expect(
      loadPackageFiles(pkgOf(REPO), 'fp32', { store: new MemoryStore() }),
    ).rejects.toMatchObject({
      code: 'corrupt-file',
      message: expect.stringContaining('onnx/embed_tokens.onnx is longer'),
    });
  });

  it('names a file the repo lacks, and stops a model too large, before downloading anything', async () => {
    // (the chat template is optional: it may live in three places)
    hub.faults.missing.add('tokenizer.json');
    await expect(
      loadPackageFiles(pkgOf(REPO), 'fp32', { store: new MemoryStore() }),
    ).rejects.toMatchObject({
      code: 'missing-file',
      message: expect.stringContaining('tokenizer.json'),
    });
    hub.faults.missing.clear();
    hub.faults.claimSize.set(DECODER, 3 * 2 ** 30);
    const pkg = pkgOf(REPO);
    await expect(
      loadPackageFiles(pkg, 'fp32', {
        store: new MemoryStore(),
        beforeDownload: (sizes) => assertFits(pkg, 'fp32', sizes, { provider: 'webgpu' }),
      }),
    ).rejects.toMatchObject({ code: 'too-large', message: expect.stringMatching(/2 GiB/) });
    expect(downloads()).toEqual([]);
  });

  it('fetches again only the file a new commit changed', async () => {
    const store = new MemoryStore();
    await loadPackageFiles(pkgOf(CHANGING), 'fp32', { store });
    const text = readFileSync(join(PUBLIC, 'tokenizer.json'), 'utf8');
    const commit = hub.update(CHANGING, 'tokenizer.json', Buffer.from(`${text.trimEnd()}\n\n`));
    hub.requests.length = 0;
    const got = await loadPackageFiles(pkgOf(CHANGING), 'fp32', { store });
    expect(downloads().map((r) => r.url)).toEqual([
      `/${CHANGING}/resolve/${commit}/tokenizer.json`,
    ]);
    expect((await got.get('tokenizer.json')!.text()).endsWith('\n\n')).toBe(true);
  });

  it('says access-denied for a gated repo', async () => {
    await expect(
      loadPackageFiles(pkgOf(GATED), 'fp32', { store: new MemoryStore() }),
    ).rejects.toMatchObject({
      code: 'access-denied',
      message: expect.stringMatching(/gated or private/),
    });
  });

  it('waits out a rate limit (429 with Retry-After)', async () => {
    hub.faults.rateLimit = 2;
    await loadPackageFiles(pkgOf(REPO), 'fp32', { store: new MemoryStore() });
    expect(hub.requests.filter((r) => r.status === 429)).toHaveLength(2);
  });

  it('without the API (a mirror), learns sizes with Range: bytes=0-0', async () => {
    hub.faults.noApi = true;
    const got = await loadPackageFiles(pkgOf(REPO), 'fp32', { store: new MemoryStore() });
    const probes = hub.requests.filter((r) => r.range === 'bytes=0-0');
    expect(probes.filter((r) => r.origin === 'hub')).toHaveLength(files.length);
    for (const f of files) expect(got.get(f)!.size).toBe(readFileSync(join(PUBLIC, f)).byteLength);
  });
});
