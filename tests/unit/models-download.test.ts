// Model file downloads against a real local HTTP server: a cut transfer resumes by itself with a
// plain Range (no If-Range, no other header), a server that ignores the range makes it start over,
// a 429's Retry-After is honoured, the file's size and hash are what was listed (SHA-256 of an LFS
// file, the git blob id of a small one) and nothing else (a compressed Content-Length is not the
// size), a damaged copy is caught, missing files, network failure, cancellation before and during
// a download, and the cache.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveStatic, type StaticServer } from '../../cli/serve.ts';
import { digest, downloadFile, type DownloadProgress } from '../../src/models/download.ts';
import { MemoryStore } from '../../src/models/store.ts';

const SIZE = 300_000;
const content = Uint8Array.from({ length: SIZE }, (_, i) => (i * 7 + 3) % 251);
const SHA = createHash('sha256').update(content).digest('hex');
const JSON_TEXT = JSON.stringify({ big: 'x'.repeat(5000) });
const JSON_OID = createHash('sha1')
  .update(`blob ${JSON_TEXT.length}\0`)
  .update(JSON_TEXT)
  .digest('hex');
let server: StaticServer;
/** Requests seen, with their Range headers. */
const seen: { url: string; range: string | undefined; ifRange: string | undefined }[] = [];
let cutAfter: number | null = null; // bytes after which the next response is cut
let limited = 0; // the next this many requests answer 429
let root: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'kvtp-dl-'));
  writeFileSync(join(root, 'model.onnx'), content);
  server = await serveStatic(root, {
    intercept(req, res) {
      seen.push({
        url: req.url ?? '',
        range: req.headers.range,
        ifRange: req.headers['if-range'] as string | undefined,
      });
      if (limited > 0) {
        limited--;
        res.writeHead(429, { 'Retry-After': '0' });
        res.end();
        return true;
      }
      if (req.url === '/gzip/config.json') {
        const body = gzipSync(Buffer.from(JSON_TEXT));
        res.writeHead(200, { 'Content-Encoding': 'gzip', 'Content-Length': body.length });
        res.end(body);
        return true;
      }
      if (req.url === '/slow/model.onnx') {
        res.writeHead(200, { 'Content-Length': SIZE });
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
      if (req.url === '/model.onnx' && cutAfter !== null) {
        const n = cutAfter;
        cutAfter = null;
        const start = Number(/^bytes=(\d+)-/.exec(req.headers.range ?? '')?.[1] ?? 0);
        res.writeHead(start ? 206 : 200, {
          'Content-Length': SIZE - start,
          ...(start && { 'Content-Range': `bytes ${start}-${SIZE - 1}/${SIZE}` }),
        });
        res.write(Buffer.from(content.subarray(start, start + n)), () => res.destroy());
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
const fast = { backoffMs: 1 };

describe('downloadFile', () => {
  it('downloads, checks, stores, reports progress, and serves the next call from the cache', async () => {
    const store = new MemoryStore();
    const progress: DownloadProgress[] = [];
    const blob = await downloadFile(`${server.url}/model.onnx`, 'k', store, {
      file: 'model.onnx',
      expected: { size: SIZE, sha256: SHA, commit: 'c1' },
      progressInterval: 0,
      onProgress: (p) => progress.push(p),
    });
    expect(await holdsContent(blob)).toBe(true);
    expect(await store.meta('k')).toEqual({ size: SIZE, sha256: SHA, commit: 'c1' });
    expect(progress.at(-1)).toMatchObject({ loaded: SIZE, total: SIZE, fromCache: false });
    expect(progress.every((p, i) => i === 0 || p.loaded >= progress[i - 1]!.loaded)).toBe(true);
    const before = seen.length;
    const again: DownloadProgress[] = [];
    await downloadFile(`${server.url}/model.onnx`, 'k', store, {
      file: 'model.onnx',
      expected: { size: SIZE, sha256: SHA, commit: 'c1' },
      onProgress: (p) => again.push(p),
    });
    expect(seen.length).toBe(before); // no request at all
    expect(again).toEqual([
      { file: 'model.onnx', loaded: SIZE, total: SIZE, bytesPerSecond: 0, fromCache: true },
    ]);
  });

  it('resumes a cut download by itself, with a plain Range and no If-Range', async () => {
    const store = new MemoryStore();
    cutAfter = 100_000;
    const before = seen.length;
    const url = `${server.url}/model.onnx`;
    const blob = await downloadFile(url, 'r', store, {
      file: 'model.onnx',
      expected: { size: SIZE, sha256: SHA },
      ...fast,
    });
    expect(await holdsContent(blob)).toBe(true);
    const asked = seen.slice(before);
    expect(asked).toHaveLength(2);
    expect(asked[0]).toMatchObject({ range: undefined, ifRange: undefined });
    expect(asked[1]!.range).toMatch(/^bytes=\d+-$/);
    expect(Number(/\d+/.exec(asked[1]!.range!)![0])).toBeGreaterThan(0);
    expect(asked[1]!.ifRange).toBeUndefined();
    expect(await store.list()).toEqual([
      expect.objectContaining({ key: 'r', size: SIZE, complete: true, expectedSize: SIZE }),
    ]);
  });

  it('continues a partial file left by an earlier try, and starts over when the range is ignored', async () => {
    const store = new MemoryStore();
    const w = await store.writer('p', 0);
    await w.write(content.subarray(0, 1000));
    await store.setMeta('p', { size: SIZE, sha256: SHA });
    const blob = await downloadFile(`${server.url}/model.onnx`, 'p', store, {
      file: 'model.onnx',
      expected: { size: SIZE, sha256: SHA },
    });
    expect(seen.at(-1)).toMatchObject({ range: 'bytes=1000-', ifRange: undefined });
    expect(await holdsContent(blob)).toBe(true);
    // a server that answers 200 to the range: the body is the whole file, from its start
    const n = new MemoryStore();
    const w2 = await n.writer('n', 0);
    await w2.write(content.subarray(0, 1000));
    const whole = await downloadFile(`${server.url}/no-range/model.onnx`, 'n', n, {
      file: 'model.onnx',
      expected: { size: SIZE, sha256: SHA },
    });
    expect(seen.at(-1)!.range).toBe('bytes=1000-');
    expect(await holdsContent(whole)).toBe(true);
  });

  it('drops a partial file of another version of the file', async () => {
    const store = new MemoryStore();
    const w = await store.writer('v', 0);
    await w.write(new Uint8Array(1000).fill(9));
    await store.setMeta('v', { size: SIZE, sha256: 'an-older-version' });
    const blob = await downloadFile(`${server.url}/model.onnx`, 'v', store, {
      file: 'model.onnx',
      expected: { size: SIZE, sha256: SHA },
    });
    expect(seen.at(-1)!.range).toBeUndefined();
    expect(await holdsContent(blob)).toBe(true);
  });

  it('continues a partial file of the old scheme only when its ETag is the listed hash', async () => {
    for (const [key, etag, resumed] of [
      ['same', `"${SHA}"`, true],
      ['other', '"1f-5e0a"', false],
    ] as const) {
      const store = new MemoryStore();
      const w = await store.writer(key, 0);
      await w.write(content.subarray(0, 1000));
      await store.setMeta(key, { size: SIZE, etag });
      const blob = await downloadFile(`${server.url}/model.onnx`, key, store, {
        file: 'model.onnx',
        expected: { size: SIZE, sha256: SHA },
      });
      expect(seen.at(-1)!.range, key).toBe(resumed ? 'bytes=1000-' : undefined);
      expect(await holdsContent(blob)).toBe(true);
    }
  });

  it('waits out a 429 (Retry-After) and goes on', async () => {
    limited = 2;
    const before = seen.length;
    const blob = await downloadFile(`${server.url}/model.onnx`, 'rl', new MemoryStore(), {
      file: 'model.onnx',
      expected: { size: SIZE },
    });
    expect(seen.length - before).toBe(3);
    expect(await holdsContent(blob)).toBe(true);
  });

  it('says missing-file for a 404 and network for an unreachable server', async () => {
    const store = new MemoryStore();
    await expect(
      downloadFile(`${server.url}/nope.onnx`, 'x', store, { file: 'nope.onnx' }),
    ).rejects.toMatchObject({ code: 'missing-file', message: expect.stringMatching(/nope\.onnx/) });
    await expect(
      downloadFile('http://127.0.0.1:9/model.onnx', 'y', store, { file: 'model.onnx', ...fast }),
    ).rejects.toMatchObject({ code: 'network', message: expect.stringMatching(/try again/) });
  });

  it('says corrupt-file only when the bytes are not the listed ones', async () => {
    const store = new MemoryStore();
    // a gzip body is longer than its Content-Length: not damage; its git blob id checks it
    const json = await downloadFile(`${server.url}/gzip/config.json`, 'g', store, {
      file: 'config.json',
      expected: { size: JSON_TEXT.length, oid: JSON_OID },
    });
    expect(JSON.parse(await json.text()).big).toHaveLength(5000);
    // the listed hash is not the bytes'
    await expect(
      downloadFile(`${server.url}/model.onnx`, 'h', store, {
        file: 'model.onnx',
        expected: { size: SIZE, sha256: SHA.replace(/^./, (c) => (c === '0' ? '1' : '0')) },
      }),
    ).rejects.toMatchObject({ code: 'corrupt-file', message: expect.stringMatching(/SHA-256/) });
    // more bytes than listed
    await expect(
      downloadFile(`${server.url}/model.onnx`, 'l', store, {
        file: 'model.onnx',
        expected: { size: SIZE - 10 },
      }),
    ).rejects.toMatchObject({ code: 'corrupt-file', message: expect.stringMatching(/longer/) });
    expect((await store.list()).map((e) => e.key)).toEqual(['g']); // nothing untrustworthy kept
  });

  it('fetches again a cached copy damaged after it was stored', async () => {
    const store = new MemoryStore();
    const url = `${server.url}/model.onnx`;
    const expected = { size: SIZE, sha256: SHA };
    await downloadFile(url, 'dm', store, { file: 'model.onnx', expected });
    await store.corrupt('dm', content.subarray(0, 5000)); // truncated on disk
    const before = seen.length;
    const blob = await downloadFile(url, 'dm', store, { file: 'model.onnx', expected });
    expect(seen.length).toBe(before + 1); // recognised by the listed size, downloaded again
    expect(await holdsContent(blob)).toBe(true);
  });

  it('keeps a copy of the old scheme (ETag, no hash) when its hash is the listed one', async () => {
    const store = new MemoryStore();
    for (const [key, bytes] of [
      ['old', content],
      ['bad', content.map((b, i) => (i === 7 ? b ^ 1 : b))],
    ] as const) {
      const w = await store.writer(key, 0);
      await w.write(bytes);
      await store.complete(key);
      await store.setMeta(key, { size: SIZE, etag: `"${SHA}"` });
    }
    const before = seen.length;
    const kept = await downloadFile(`${server.url}/model.onnx`, 'old', store, {
      file: 'model.onnx',
      expected: { size: SIZE, sha256: SHA, commit: 'c2' },
    });
    expect(seen.length).toBe(before); // hashed once, kept
    expect(await holdsContent(kept)).toBe(true);
    expect(await store.meta('old')).toMatchObject({ sha256: SHA, commit: 'c2' });
    const replaced = await downloadFile(`${server.url}/model.onnx`, 'bad', store, {
      file: 'model.onnx',
      expected: { size: SIZE, sha256: SHA },
    });
    expect(seen.length).toBe(before + 1);
    expect(await digest(replaced, 'sha256')).toBe(SHA);
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
      expected: { size: SIZE, sha256: SHA },
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
    expect(await store.meta('mid')).toMatchObject({ size: SIZE, sha256: SHA });
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
