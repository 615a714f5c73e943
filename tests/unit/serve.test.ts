// The static server the command line and tests use: Range requests, ETags and If-Range, isolation
// headers, and CORS for the tests' Hub stand-in.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseRange, serveStatic, type StaticServer } from '../../cli/serve.ts';

describe('parseRange', () => {
  it.each([
    [undefined, 10, null],
    ['bytes=0-3', 10, [0, 3]],
    ['bytes=4-', 10, [4, 9]],
    ['bytes=-3', 10, [7, 9]],
    ['bytes=5-100', 10, [5, 9]],
    ['bytes=10-', 10, 'invalid'],
    ['bytes=4-2', 10, 'invalid'],
    ['bytes=-', 10, 'invalid'],
    ['items=0-1', 10, 'invalid'],
  ] as const)('%s of %i bytes → %j', (header, size, expected) => {
    expect(parseRange(header, size)).toEqual(expected);
  });
});

describe('serveStatic', () => {
  let server: StaticServer;
  let mounted: string;
  let root: string;
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'kvtp-serve-'));
    mounted = mkdtempSync(join(tmpdir(), 'kvtp-mount-'));
    writeFileSync(join(root, 'a.bin'), Buffer.from('0123456789'));
    writeFileSync(join(mounted, 'm.json'), '{"ok":true}');
    server = await serveStatic(root, { mounts: { '/models/x/': mounted } });
  });
  afterAll(async () => {
    await server.close();
    for (const d of [root, mounted]) rmSync(d, { recursive: true, force: true });
  });

  it('serves whole files with isolation headers', async () => {
    const r = await fetch(`${server.url}/a.bin`);
    expect(r.status).toBe(200);
    expect(await r.text()).toBe('0123456789');
    expect(r.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    expect(r.headers.get('accept-ranges')).toBe('bytes');
  });

  it('answers Range requests with 206 and Content-Range', async () => {
    const r = await fetch(`${server.url}/a.bin`, { headers: { Range: 'bytes=2-5' } });
    expect(r.status).toBe(206);
    expect(r.headers.get('content-range')).toBe('bytes 2-5/10');
    expect(await r.text()).toBe('2345');
  });

  it('answers an unsatisfiable range with 416', async () => {
    const r = await fetch(`${server.url}/a.bin`, { headers: { Range: 'bytes=20-' } });
    expect(r.status).toBe(416);
  });

  it('gives a strong ETag and honours If-Range: the range only for the same version', async () => {
    const first = await fetch(`${server.url}/a.bin`, { method: 'HEAD' });
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
    const same = await fetch(`${server.url}/a.bin`, {
      headers: { Range: 'bytes=4-', 'If-Range': etag },
    });
    expect(same.status).toBe(206);
    expect(await same.text()).toBe('456789');
    const other = await fetch(`${server.url}/a.bin`, {
      headers: { Range: 'bytes=4-', 'If-Range': '"another"' },
    });
    expect(other.status).toBe(200);
    expect(await other.text()).toBe('0123456789');
  });

  it('answers other origins (CORS, preflight) only when asked to', async () => {
    const plain = await fetch(`${server.url}/a.bin`);
    expect(plain.headers.get('access-control-allow-origin')).toBeNull();
    const hub = await serveStatic(mounted, { cors: true });
    try {
      const r = await fetch(`${hub.url}/m.json`);
      expect(r.headers.get('access-control-allow-origin')).toBe('*');
      expect(r.headers.get('access-control-expose-headers')).toContain('X-Linked-Size');
      const pre = await fetch(`${hub.url}/m.json`, { method: 'OPTIONS' });
      expect(pre.status).toBe(204);
      expect(pre.headers.get('access-control-allow-headers')).toContain('If-Range');
      const missing = await fetch(`${hub.url}/nope`);
      expect(missing.status).toBe(404);
      expect(missing.headers.get('access-control-allow-origin')).toBe('*');
    } finally {
      await hub.close();
    }
  });

  it('serves mounted folders and refuses paths outside the root', async () => {
    expect(await (await fetch(`${server.url}/models/x/m.json`)).json()).toEqual({ ok: true });
    expect((await fetch(`${server.url}/../../etc/passwd`)).status).toBe(404);
    expect((await fetch(`${server.url}/%2e%2e/%2e%2e/etc/passwd`)).status).toBe(404);
  });
});
