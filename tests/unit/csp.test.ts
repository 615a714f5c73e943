// The app's Content-Security-Policy (cli/csp.ts): the Hub's hosts and a custom endpoint's host on
// any port in connect-src, no inline script, and the command line's server putting it on every
// response and in place of the page's <meta>.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy, endpointSource, withCspMeta } from '../../cli/csp.ts';
import { serveStatic } from '../../cli/serve.ts';

const directive = (policy: string, name: string) =>
  policy
    .split('; ')
    .find((d) => d.startsWith(`${name} `))!
    .split(' ')
    .slice(1);

describe('contentSecurityPolicy', () => {
  it('connects to the page’s origin and the Hub only; scripts from the origin and wasm only', () => {
    const p = contentSecurityPolicy();
    expect(directive(p, 'connect-src')).toEqual([
      "'self'",
      'https://huggingface.co',
      'https://*.huggingface.co',
      'https://hf.co',
      'https://*.hf.co',
    ]);
    expect(directive(p, 'script-src')).toEqual(["'self'", "'wasm-unsafe-eval'"]);
    expect(directive(p, 'default-src')).toEqual(["'self'"]);
    expect(directive(p, 'object-src')).toEqual(["'none'"]);
  });

  it('adds a custom endpoint’s host on any port, once', () => {
    expect(endpointSource('https://hf-mirror.example:8443/sub/')).toBe(
      'https://hf-mirror.example:*',
    );
    expect(endpointSource('http://[::1]:9000')).toBe('http://[::1]:*');
    const p = contentSecurityPolicy({
      endpoints: ['http://localhost:4000', 'http://localhost:5000'],
      scriptHashes: ['sha256-abc='],
    });
    expect(directive(p, 'connect-src').slice(-1)).toEqual(['http://localhost:*']);
    expect(directive(p, 'script-src')).toContain("'sha256-abc='");
  });

  it('is put in a page after its charset, or in place of the one there', () => {
    const page = '<html><head>\n<meta charset="UTF-8" />\n<title>x</title></head></html>';
    const once = withCspMeta(page, "default-src 'self'");
    expect(once).toMatch(
      /<meta charset="UTF-8" \/>\n\s*<meta http-equiv="Content-Security-Policy" content="default-src 'self'" \/>/,
    );
    const twice = withCspMeta(once, "default-src 'none'");
    expect(twice.match(/Content-Security-Policy/g)).toHaveLength(1);
    expect(twice).toContain(`content="default-src 'none'"`);
  });

  it('is sent by the command line’s server on every response, and replaces the page’s <meta>', async () => {
    const root = mkdtempSync(join(tmpdir(), 'kvtp-csp-'));
    writeFileSync(
      join(root, 'index.html'),
      withCspMeta('<html><head><meta charset="UTF-8" /></head></html>', contentSecurityPolicy()),
    );
    writeFileSync(join(root, 'worker.js'), 'self.onmessage = () => {};');
    const csp = contentSecurityPolicy({ endpoints: ['http://mirror.local:8080'] });
    const server = await serveStatic(root, { csp });
    try {
      const page = await fetch(`${server.url}/index.html`);
      expect(page.headers.get('Content-Security-Policy')).toBe(csp);
      const html = await page.text();
      expect(html.match(/Content-Security-Policy/g)).toHaveLength(1);
      expect(html).toContain('http://mirror.local:*');
      const js = await fetch(`${server.url}/worker.js`);
      expect(js.headers.get('Content-Security-Policy')).toBe(csp);
    } finally {
      await server.close();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
