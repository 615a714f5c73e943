// Model file downloads against a real local HTTP server: resume by Range (with If-Range) after an
// interrupted transfer, size integrity (what the server announced is recorded with the entry; a
// body of another length, or a damaged cached copy, is caught), missing files, network failure,
// cancellation before and during a download, and the cache.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileEtag, serveStatic, type StaticServer } from '../../cli/serve.ts';
import { downloadFile, type DownloadProgress } from '../../src/models/download.ts';
import { MemoryStore } from '../../src/models/store.ts';

const SIZE = 300_000;
const content = Uint8Array.from({ length: SIZE }, (_, i) => (i * 7 + 3) % 251);
let server: StaticServer;
/** Requests seen, with their Range headers. */
const seen: { url: string; range: string | undefined; ifRange: string | undefined }[] = [];
let cutAfter: number | null = null; // bytes after which the next full response is cut
let root: string;
let mtime: number; // of model.onnx: the cut response carries the file's real ETag

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'kvtp-dl-'));
  writeFileSync(join(root, 'model.onnx'), content);
  writeFileSync(join(root, 'changing.onnx'), content);
  mtime = statSync(join(root, 'model.onnx')).mtimeMs;
  server = await serveStatic(root, {
    intercept(req, res) {
      seen.push({
        url: req.url ?? '',
        range: req.headers.range,
        ifRange: req.headers['if-range'] as string | undefined,
      });
      // the Hub's X-Linked-Size without a Content-Length (chunked): `claim` bytes announced
      const claim = /^\/linked\/(\d+)\/model\.onnx$/.exec(req.url ?? '');
      if (claim) {
        res.writeHead(200, { 'X-Linked-Size': claim[1]!, 'Transfer-Encoding': 'chunked' });
        res.end(Buffer.from(content));
        return true;
      }
      if (req.url === '/gzip/config.json') {
        const body = gzipSync(Buffer.from(JSON.stringify({ big: 'x'.repeat(5000) })));
        res.writeHead(200, { 'Content-Encoding': 'gzip', 'Content-Length': body.length });
        res.end(body);
        return true;
      }
      if (req.url === '/slow/model.onnx') {
        res.writeHead(200, { 'Content-Length': SIZE, ETag: '"slow"' });
        let at = 0;
        const tick = () => {
          if (res.destroyed || at >= SIZE) return void res.end();
          res.write(Buffer.from(content.subarray(at, at + 20_000)));
          at += 20_000;
          setTimeout(tick, 20);
        };
        tick();
        return true;
      }
      if (req.url === '/no-range/model.onnx') {
        res.writeHead(200, { 'Content-Length': SIZE });
        res.end(Buffer.from(content));
        return true;
      }
      if (req.url === '/model.onnx' && cutAfter !== null && !req.headers.range) {
        const n = cutAfter;
        cutAfter = null;
        res.writeHead(200, { 'Content-Length': SIZE, ETag: fileEtag(SIZE, mtime) });
        res.write(Buffer.from(content.subarray(0, n)), () => res.destroy());
        return true;
      }
      return false;
    },
  });
});
afterAll(async () => {
  await server.close();
  rmSync(root, { recursive: true, force: true });
});

/** Whether a blob holds exactly `content` (a fast comparison; deep equality is slow on 300 kB). */
const holdsContent = async (b: Blob) => Buffer.from(await b.arrayBuffer()).equals(content);

describe('downloadFile', () => {
  it('downloads, stores, reports progress, and serves the next call from the cache', async () => {
    const store = new MemoryStore();
    const progress: DownloadProgress[] = [];
    const blob = await downloadFile(`${server.url}/model.onnx`, 'k', store, {
      file: 'model.onnx',
      expectedSize: SIZE,
      progressInterval: 0,
      onProgress: (p) => progress.push(p),
    });
    expect(await holdsContent(blob)).toBe(true);
    expect(progress.at(-1)).toMatchObject({ loaded: SIZE, total: SIZE, fromCache: false });
    expect(progress.every((p, i) => i === 0 || p.loaded >= progress[i - 1]!.loaded)).toBe(true);
    const before = seen.length;
    const again: DownloadProgress[] = [];
    await downloadFile(`${server.url}/model.onnx`, 'k', store, {
      file: 'model.onnx',
      onProgress: (p) => again.push(p),
    });
    expect(seen.length).toBe(before); // no request at all
    expect(again).toEqual([
      { file: 'model.onnx', loaded: SIZE, total: SIZE, bytesPerSecond: 0, fromCache: true },
    ]);
  });

  it('resumes an interrupted download with a Range request', async () => {
    const store = new MemoryStore();
    cutAfter = 100_000;
    const url = `${server.url}/model.onnx`;
    const first = await downloadFile(url, 'r', store, { file: 'model.onnx' }).catch((e) => e);
    expect(first).toMatchObject({ code: 'network' });
    const partial = await store.partialSize('r');
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(SIZE);
    // what the first response said is kept with the partial file
    expect(await store.meta('r')).toMatchObject({ size: SIZE, etag: expect.stringMatching(/^"/) });
    const blob = await downloadFile(url, 'r', store, { file: 'model.onnx', expectedSize: SIZE });
    expect(await holdsContent(blob)).toBe(true);
    expect(seen.at(-1)?.range).toBe(`bytes=${partial}-`);
    // the rest only if it is still the same file
    expect(seen.at(-1)?.ifRange).toBe((await store.meta('r'))!.etag);
    expect(await store.list()).toEqual([
      expect.objectContaining({ key: 'r', size: SIZE, complete: true, expectedSize: SIZE }),
    ]);
  });

  it('starts over when the file changed between the cut and the resume (If-Range)', async () => {
    const store = new MemoryStore();
    const url = `${server.url}/changing.onnx`;
    const w = await store.writer('ch', 0);
    await w.write(new Uint8Array(1000).fill(9)); // bytes of an older version of the file
    await store.setMeta('ch', { size: SIZE, etag: '"an-older-version"' });
    const blob = await downloadFile(url, 'ch', store, { file: 'changing.onnx' });
    expect(seen.at(-1)).toMatchObject({ range: 'bytes=1000-', ifRange: '"an-older-version"' });
    expect(await holdsContent(blob)).toBe(true); // the server sent all of it, from the start
  });

  it('starts over when the server ignores Range', async () => {
    const store = new MemoryStore();
    const w = await store.writer('n', 0);
    await w.write(content.subarray(0, 1000));
    const blob = await downloadFile(`${server.url}/no-range/model.onnx`, 'n', store, {
      file: 'model.onnx',
    });
    expect(await holdsContent(blob)).toBe(true);
  });

  it('says missing-file for a 404 and network for an unreachable server', async () => {
    const store = new MemoryStore();
    await expect(
      downloadFile(`${server.url}/nope.onnx`, 'x', store, { file: 'nope.onnx' }),
    ).rejects.toMatchObject({ code: 'missing-file', message: expect.stringMatching(/nope\.onnx/) });
    await expect(
      downloadFile('http://127.0.0.1:9/model.onnx', 'y', store, { file: 'model.onnx' }),
    ).rejects.toMatchObject({ code: 'network', message: expect.stringMatching(/try again/) });
  });

  it('calls a body of another length than announced corrupt, and trusts no compressed length', async () => {
    const store = new MemoryStore();
    // the Hub announced more bytes than came: the body ended cleanly, short
    await expect(
      downloadFile(`${server.url}/linked/${SIZE + 10}/model.onnx`, 's', store, { file: 'm' }),
    ).rejects.toMatchObject({
      code: 'corrupt-file',
      message: expect.stringMatching(/ended after/),
    });
    // fewer announced than came
    await expect(
      downloadFile(`${server.url}/linked/${SIZE - 10}/model.onnx`, 'l', store, { file: 'm' }),
    ).rejects.toMatchObject({ code: 'corrupt-file', message: expect.stringMatching(/longer/) });
    expect(await store.list()).toEqual([]); // nothing untrustworthy kept
    const ok = await downloadFile(`${server.url}/linked/${SIZE}/model.onnx`, 'k', store, {
      file: 'm',
    });
    expect(await holdsContent(ok)).toBe(true);
    // a gzip body's Content-Length is of the compressed bytes: not the file's size
    const json = await downloadFile(`${server.url}/gzip/config.json`, 'g', store, { file: 'g' });
    expect(JSON.parse(await json.text()).big).toHaveLength(5000);
  });

  it('fetches again a cached copy damaged after it was stored', async () => {
    const store = new MemoryStore();
    const url = `${server.url}/model.onnx`;
    await downloadFile(url, 'dm', store, { file: 'model.onnx' });
    await store.corrupt('dm', content.subarray(0, 5000)); // truncated on disk
    const before = seen.length;
    const blob = await downloadFile(url, 'dm', store, { file: 'model.onnx' });
    expect(seen.length).toBe(before + 1); // recognised by the recorded size, downloaded again
    expect(await holdsContent(blob)).toBe(true);
  });

  it('refuses a file whose size is not the promised one, and drops a damaged cached copy', async () => {
    const store = new MemoryStore();
    await expect(
      downloadFile(`${server.url}/model.onnx`, 'c', store, {
        file: 'model.onnx',
        expectedSize: SIZE + 1,
      }),
    ).rejects.toMatchObject({ code: 'corrupt-file' });
    // A cached copy of the wrong size is fetched again.
    const w = await store.writer('d', 0);
    await w.write(new Uint8Array(10));
    await store.complete('d');
    const blob = await downloadFile(`${server.url}/model.onnx`, 'd', store, {
      file: 'model.onnx',
      expectedSize: SIZE,
    });
    expect(blob.size).toBe(SIZE);
  });

  it('can be cancelled, keeping nothing complete', async () => {
    const store = new MemoryStore();
    const controller = new AbortController();
    controller.abort();
    await expect(
      downloadFile(`${server.url}/model.onnx`, 'z', store, {
        file: 'model.onnx',
        signal: controller.signal,
      }),
    ).rejects.toMatchObject({ name: 'AbortError' });
    expect(await store.read('z')).toBeNull();
  });

  it('can be cancelled mid-download, keeping the partial file to resume from', async () => {
    const store = new MemoryStore();
    const controller = new AbortController();
    const url = `${server.url}/slow/model.onnx`;
    const got = downloadFile(url, 'mid', store, {
      file: 'model.onnx',
      signal: controller.signal,
      progressInterval: 0,
      onProgress: (p) => {
        if (p.loaded >= 40_000) controller.abort();
      },
    });
    await expect(got).rejects.toMatchObject({ name: 'AbortError' });
    const partial = await store.partialSize('mid');
    expect(partial).toBeGreaterThanOrEqual(40_000);
    expect(partial).toBeLessThan(SIZE);
    expect(await store.read('mid')).toBeNull();
    expect(await store.meta('mid')).toMatchObject({ size: SIZE, etag: '"slow"' });
  });

  it('reports speed while downloading', async () => {
    const rates: number[] = [];
    await downloadFile(`${server.url}/slow/model.onnx`, 'sp', new MemoryStore(), {
      file: 'model.onnx',
      progressInterval: 0,
      onProgress: (p) => rates.push(p.bytesPerSecond),
    });
    expect(rates.some((r) => r > 0)).toBe(true);
  });
});

describe('MemoryStore', () => {
  it('lists, completes and clears by prefix', async () => {
    const store = new MemoryStore();
    for (const key of ['hub/a@main/x', 'hub/a@main/y', 'hub/b@main/x']) {
      const w = await store.writer(key, 0);
      await w.write(new Uint8Array(5));
      if (!key.endsWith('y')) await store.complete(key);
    }
    expect(await store.list()).toEqual([
      { key: 'hub/a@main/x', size: 5, complete: true },
      { key: 'hub/a@main/y', size: 5, complete: false },
      { key: 'hub/b@main/x', size: 5, complete: true },
    ]);
    await store.clear('hub/a@');
    expect((await store.list()).map((e) => e.key)).toEqual(['hub/b@main/x']);
  });
});
