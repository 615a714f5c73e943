// A package from the Hub, against a local server that answers as the Hub does (tests/fixtures/
// hub-server.ts: 302 to storage with X-Linked-Size / X-Linked-Etag / X-Repo-Commit, Range, ETag,
// If-Range): every file asked about before any byte comes (sizes for the device check and the
// progress bar), files taken from the commit the revision pointed at, the entries stored with
// their sizes and ETags; a broken download resumed with If-Range; a lying size, a missing file, an
// out-of-date cached copy, a model too large for the device; nothing asked once all is cached.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertFits } from '../../src/models/fit.ts';
import { loadPackageFiles, type PackageProgress } from '../../src/models/loader.ts';
import { manifestFiles, type VlmManifest } from '../../src/models/manifest.ts';
import { FIXTURE_VLM } from '../../src/models/registry.ts';
import { MemoryStore } from '../../src/models/store.ts';
import { startHub, type HubServer } from '../fixtures/hub-server.ts';

const REPO = 'kvtp-tests/fixture-vlm';
const PUBLIC = new URL('../../public/models/fixture-vlm/', import.meta.url).pathname;
let hub: HubServer;
let dir: string;
let pkg: VlmManifest;
const files = manifestFiles(FIXTURE_VLM, 'fp32');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kvtp-hub-'));
  cpSync(PUBLIC, dir, { recursive: true });
  hub = await startHub({ [REPO]: dir });
  pkg = {
    ...FIXTURE_VLM,
    source: { kind: 'hub', repo: REPO, revision: 'main', endpoint: hub.url },
  };
});
afterAll(async () => {
  await hub.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  hub.requests.length = 0;
  hub.faults.cutAfter.clear();
  hub.faults.claimSize.clear();
  hub.faults.missing.clear();
});

const gets = () => hub.requests.filter((r) => r.method === 'GET');

describe('a Hub package', () => {
  it('is asked about first, taken from one commit, stored with sizes and ETags', async () => {
    const store = new MemoryStore();
    const seenSizes: Map<string, number>[] = [];
    const progress: PackageProgress[] = [];
    const got = await loadPackageFiles(pkg, 'fp32', {
      store,
      beforeDownload: (s) => {
        seenSizes.push(new Map(s));
        expect(gets()).toEqual([]); // nothing downloaded before the check
      },
      onProgress: (p) => progress.push(p),
    });
    expect([...got.keys()]).toEqual(files);
    const heads = hub.requests.filter((r) => r.method === 'HEAD' && r.url.includes('/resolve/'));
    expect(heads.map((r) => r.url)).toEqual(files.map((f) => `/${REPO}/resolve/main/${f}`));
    const sizes = seenSizes[0]!;
    for (const f of files) expect(sizes.get(f), f).toBe(got.get(f)!.size);
    // every download from the commit `main` pointed at when asked
    const resolved = gets().filter((r) => r.url.includes('/resolve/'));
    expect(resolved.every((r) => r.url.startsWith(`/${REPO}/resolve/${hub.commit}/`))).toBe(true);
    const total = [...sizes.values()].reduce((a, b) => a + b, 0);
    expect(progress.at(-1)).toMatchObject({ packageLoaded: total, packageTotal: total });
    expect(progress.every((p) => p.packageTotal === total)).toBe(true);
    const entries = await store.list();
    expect(entries).toHaveLength(files.length);
    for (const e of entries) {
      expect(e).toMatchObject({ complete: true, expectedSize: e.size, etag: expect.any(String) });
    }
    // all cached: no request at all the next time (offline works)
    hub.requests.length = 0;
    await loadPackageFiles(pkg, 'fp32', { store });
    expect(hub.requests).toEqual([]);
  });

  it('resumes a broken download with Range and If-Range', async () => {
    const store = new MemoryStore();
    const big = 'onnx/decoder_model_merged.onnx';
    hub.faults.cutAfter.set(big, 100_000);
    await expect(loadPackageFiles(pkg, 'fp32', { store })).rejects.toMatchObject({
      code: 'network',
    });
    const partial = (await store.list()).find((e) => e.key.endsWith(big))!;
    expect(partial).toMatchObject({ complete: false, size: 100_000, etag: expect.any(String) });
    hub.requests.length = 0;
    const got = await loadPackageFiles(pkg, 'fp32', { store });
    const resumed = gets().find((r) => r.url.endsWith(big) && r.range);
    expect(resumed).toMatchObject({ range: 'bytes=100000-', ifRange: partial.etag });
    const whole = new Uint8Array(await got.get(big)!.arrayBuffer());
    const { readFileSync } = await import('node:fs');
    expect(Buffer.from(whole).equals(readFileSync(join(dir, big)))).toBe(true);
  });

  it('calls a file corrupt when its bytes are not the size the Hub announced', async () => {
    hub.faults.claimSize.set('onnx/embed_tokens.onnx', 12_345);
    await expect(loadPackageFiles(pkg, 'fp32', { store: new MemoryStore() })).rejects.toMatchObject(
      { code: 'corrupt-file', message: expect.stringContaining('onnx/embed_tokens.onnx') },
    );
  });

  it('names a file the repo lacks before downloading anything', async () => {
    hub.faults.missing.add('tokenizer.json');
    await expect(loadPackageFiles(pkg, 'fp32', { store: new MemoryStore() })).rejects.toMatchObject(
      { code: 'missing-file', message: expect.stringContaining('tokenizer.json') },
    );
    expect(gets()).toEqual([]);
  });

  it('stops a model too large for the device before any byte is downloaded', async () => {
    hub.faults.claimSize.set('onnx/decoder_model_merged.onnx', 3 * 2 ** 30);
    await expect(
      loadPackageFiles(pkg, 'fp32', {
        store: new MemoryStore(),
        beforeDownload: (sizes) => assertFits(pkg, 'fp32', sizes, { provider: 'webgpu' }),
      }),
    ).rejects.toMatchObject({ code: 'too-large', message: expect.stringMatching(/2 GiB/) });
    expect(gets()).toEqual([]);
  });

  it('downloads again a cached file the Hub now has in another version', async () => {
    const store = new MemoryStore();
    await loadPackageFiles(pkg, 'fp32', { store });
    const tokenizer = join(dir, 'tokenizer.json');
    utimesSync(tokenizer, new Date(), new Date(Date.now() + 60_000)); // new ETag
    // one file gone from the cache: the package is asked about again, and the change is seen
    await store.delete(`hub/${REPO}@main/onnx/embed_tokens.onnx`);
    hub.requests.length = 0;
    await loadPackageFiles(pkg, 'fp32', { store });
    const fetched = gets()
      .filter((r) => r.url.includes('/resolve/'))
      .map((r) => r.url.split('/').pop());
    expect(fetched.sort()).toEqual(['embed_tokens.onnx', 'tokenizer.json']);
  });
});
