// A small static file server for the built app: cross-origin isolation headers (for ONNX
// Runtime's threaded wasm), correct MIME types, HTTP Range requests with strong ETags and If-Range
// (model files are fetched, and resumed, by ranges). Extra folders can be mounted under a URL
// prefix (a model folder given on the command line). With `cors` it answers other origins too.
// With `csp`, every response carries that Content-Security-Policy as a header (a worker takes the
// policy of its own script's response) and every page has it in place of the <meta> the build put
// in it: the command line adds HF_ENDPOINT's host to the app's policy that way (cli/csp.ts).
// Serves only on 127.0.0.1.

import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { withCspMeta } from './csp.ts';

const mime: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.mp4': 'video/mp4',
  '.mov': 'video/quicktime',
  '.webm': 'video/webm',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.wgsl': 'text/plain; charset=utf-8',
};

export interface StaticServer {
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

export interface ServeOptions {
  /** URL prefix → folder, e.g. { '/mounted/model/': '/home/me/model' }. */
  mounts?: Record<string, string>;
  /**
   * Extra handler tried before files (tests use it to simulate failures). Returning false lets
   * the file server answer, with `req.url` as the handler left it.
   */
  intercept?: (req: IncomingMessage, res: ServerResponse) => boolean;
  /** Answer cross-origin requests (CORS, preflight) as the Hub does. */
  cors?: boolean;
  /** The Content-Security-Policy of the pages (cli/csp.ts's `contentSecurityPolicy`). */
  csp?: string;
  port?: number;
}

/** Headers a cross-origin page may read (what the Hub exposes for downloads). */
export const EXPOSED_HEADERS =
  'Content-Length, Content-Range, Accept-Ranges, ETag, X-Linked-Size, X-Linked-Etag, X-Repo-Commit';

export function corsHeaders(): Record<string, string> {
  return {
    'Access-Control-Allow-Origin': '*',
    'Access-Control-Expose-Headers': EXPOSED_HEADERS,
    'Cross-Origin-Resource-Policy': 'cross-origin',
  };
}

export async function serveStatic(root: string, options: ServeOptions = {}): Promise<StaticServer> {
  const mounts = Object.entries(options.mounts ?? {}).map(
    ([prefix, dir]) => [prefix, resolve(dir)] as const,
  );
  const server = createServer((req, res) => {
    if (options.cors && req.method === 'OPTIONS') {
      res.writeHead(204, {
        ...corsHeaders(),
        'Access-Control-Allow-Methods': 'GET, HEAD',
        'Access-Control-Allow-Headers': 'Range, If-Range',
        'Access-Control-Max-Age': '600',
      });
      return res.end();
    }
    if (options.intercept?.(req, res)) return;
    void handle(req, res, resolve(root), mounts, options.cors ?? false, options.csp).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((ok) => server.listen(options.port ?? 0, '127.0.0.1', ok));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://localhost:${port}`,
    server,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  root: string,
  mounts: readonly (readonly [string, string])[],
  cors: boolean,
  csp: string | undefined,
) {
  const url = new URL(req.url ?? '/', 'http://localhost');
  let path = decodeURIComponent(url.pathname);
  let base = root;
  for (const [prefix, dir] of mounts) {
    if (path.startsWith(prefix)) {
      base = dir;
      path = '/' + path.slice(prefix.length);
      break;
    }
  }
  if (path.endsWith('/')) path += 'index.html';
  const file = normalize(join(base, path));
  if (file !== base && !file.startsWith(base + sep)) return notFound(res, cors);
  const stat = await fs.stat(file).catch(() => null);
  if (!stat?.isFile()) return notFound(res, cors);

  const etag = fileEtag(stat.size, stat.mtimeMs);
  const headers: Record<string, string | number> = {
    'Content-Type': mime[extname(file).toLowerCase()] ?? 'application/octet-stream',
    'Accept-Ranges': 'bytes',
    ETag: etag,
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Embedder-Policy': 'require-corp',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Cache-Control': 'no-cache',
    ...(cors && corsHeaders()),
    // on every response: a worker takes the policy of its own script's response
    ...(csp && { 'Content-Security-Policy': csp }),
  };
  if (csp && extname(file).toLowerCase() === '.html') {
    const html = Buffer.from(withCspMeta(await fs.readFile(file, 'utf8'), csp));
    res.writeHead(200, {
      ...headers,
      'Content-Length': html.byteLength,
      ETag: `"${createHash('sha1').update(html).digest('hex')}"`,
    });
    return res.end(req.method === 'HEAD' ? undefined : html);
  }
  // If-Range: the range only if the file is still the version the client has (else all of it)
  const ifRange = req.headers['if-range'];
  const wanted = ifRange === undefined || ifRange === etag ? req.headers.range : undefined;
  const range = parseRange(wanted, stat.size);
  if (range === 'invalid') {
    res.writeHead(416, { ...headers, 'Content-Range': `bytes */${stat.size}` });
    return res.end();
  }
  const [start, end] = range ?? [0, stat.size - 1];
  const status = range ? 206 : 200;
  if (range) headers['Content-Range'] = `bytes ${start}-${end}/${stat.size}`;
  headers['Content-Length'] = Math.max(0, end - start + 1);
  res.writeHead(status, headers);
  if (req.method === 'HEAD' || stat.size === 0) return res.end();
  createReadStream(file, { start, end }).pipe(res);
}

/** A strong validator for a file: its size and modification time. */
export function fileEtag(size: number, mtimeMs: number): string {
  return `"${size.toString(16)}-${Math.floor(mtimeMs).toString(16)}"`;
}

function notFound(res: ServerResponse, cors: boolean) {
  res.writeHead(404, {
    'Content-Type': 'text/plain',
    'Cross-Origin-Resource-Policy': 'same-origin',
    ...(cors && corsHeaders()),
  });
  res.end('not found');
}

/** `bytes=a-b` → [a, b]; absent → null; unsatisfiable → 'invalid'. One range only. */
export function parseRange(
  header: string | undefined,
  size: number,
): readonly [number, number] | null | 'invalid' {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return 'invalid';
  let start: number;
  let end: number;
  if (m[1] === '') {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start > end || start >= size) return 'invalid';
  return [start, end];
}
