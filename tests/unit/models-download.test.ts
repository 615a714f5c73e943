// Model file downloads against a real local HTTP server: resume by Range after an interrupted
// transfer, size integrity, missing files, network failure, cancellation, and the cache.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveStatic, type StaticServer } from '../../cli/serve.ts';
import { downloadFile, type DownloadProgress } from '../../src/models/download.ts';
import { MemoryStore } from '../../src/models/store.ts';

const SIZE = 300_000;
const content = Uint8Array.from({ length: SIZE }, (_, i) => (i * 7 + 3) % 251);
let server: StaticServer;
/** Requests seen, with their Range headers. */
const seen: { url: string; range: string | undefined }[] = [];
let cutAfter: number | null = null; // bytes after which the next full response is cut

beforeAll(async () => {
  const root = mkdtempSync(join(tmpdir(), 'kvtp-dl-'));
  writeFileSync(join(root, 'model.onnx'), content);
  server = await serveStatic(root, {
    intercept(req, res) {
      seen.push({ url: req.url ?? '', range: req.headers.range });
      if (req.url === '/no-range/model.onnx') {
        res.writeHead(200, { 'Content-Length': SIZE });
        res.end(Buffer.from(content));
        return true;
      }
      if (req.url === '/model.onnx' && cutAfter !== null && !req.headers.range) {
        const n = cutAfter;
        cutAfter = null;
        res.writeHead(200, { 'Content-Length': SIZE });
        res.write(Buffer.from(content.subarray(0, n)), () => res.destroy());
        return true;
      }
      return false;
    },
  });
});
afterAll(() => server.close());

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
    const blob = await downloadFile(url, 'r', store, { file: 'model.onnx', expectedSize: SIZE });
    expect(await holdsContent(blob)).toBe(true);
    expect(seen.at(-1)?.range).toBe(`bytes=${partial}-`);
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
