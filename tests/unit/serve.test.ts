// The static server the command line and tests use: Range requests and isolation headers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
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
  beforeAll(async () => {
    const root = mkdtempSync(join(tmpdir(), 'kvtp-serve-'));
    mounted = mkdtempSync(join(tmpdir(), 'kvtp-mount-'));
    writeFileSync(join(root, 'a.bin'), Buffer.from('0123456789'));
    writeFileSync(join(mounted, 'm.json'), '{"ok":true}');
    server = await serveStatic(root, { mounts: { '/models/x/': mounted } });
  });
  afterAll(() => server.close());

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

  it('serves mounted folders and refuses paths outside the root', async () => {
    expect(await (await fetch(`${server.url}/models/x/m.json`)).json()).toEqual({ ok: true });
    expect((await fetch(`${server.url}/../../etc/passwd`)).status).toBe(404);
    expect((await fetch(`${server.url}/%2e%2e/%2e%2e/etc/passwd`)).status).toBe(404);
  });
});
