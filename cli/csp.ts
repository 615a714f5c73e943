// The Content-Security-Policy of the app and the automation page: what the browser itself enforces
// so that nothing about a video leaves the machine. The page may connect only to its own origin
// and the Hugging Face Hub (huggingface.co, and the storage its downloads redirect to:
// cdn-lfs*.huggingface.co, cdn-lfs*.hf.co, cas-bridge.xethub.hf.co, *.cdn.hf.co, all under
// *.huggingface.co or *.hf.co); a custom endpoint (HF_ENDPOINT, a mirror) adds its host on any port,
// since mirrors serve storage beside them. No inline script: scripts and workers from the page's
// own origin only, plus 'wasm-unsafe-eval' for ONNX Runtime's WebAssembly (and blob: workers,
// which its threaded wasm may start). Used by vite.config.ts (dev server, preview, build: a
// <meta> in each page) and by the command line's server (cli/serve.ts), which puts the mirror in.

/** The Hub's hosts, for connect-src. */
export const HUB_SOURCES = [
  'https://huggingface.co',
  'https://*.huggingface.co',
  'https://hf.co',
  'https://*.hf.co',
] as const;

/** `scheme://host:*` of an endpoint URL (a mirror): its host on any port. */
export function endpointSource(endpoint: string): string {
  const u = new URL(endpoint);
  return `${u.protocol}//${u.hostname}:*`; // an IPv6 hostname keeps its brackets
}

export interface CspOptions {
  /** Custom Hub endpoints (HF_ENDPOINT): their hosts are added to connect-src. */
  readonly endpoints?: readonly string[];
  /** Hashes ('sha256-…') of inline scripts a dev tool needs (Vite's dev server only). */
  readonly scriptHashes?: readonly string[];
}

/** The policy, as one header value. */
export function contentSecurityPolicy(options: CspOptions = {}): string {
  const endpoints = (options.endpoints ?? []).filter(Boolean).map(endpointSource);
  const hashes = (options.scriptHashes ?? []).map((h) => `'${h}'`);
  const directives: Record<string, string[]> = {
    'default-src': ["'self'"],
    'script-src': ["'self'", "'wasm-unsafe-eval'", ...hashes],
    'worker-src': ["'self'", 'blob:'],
    'connect-src': ["'self'", ...HUB_SOURCES, ...new Set(endpoints)],
    'img-src': ["'self'", 'blob:', 'data:'],
    'media-src': ["'self'", 'blob:'],
    'style-src': ["'self'", "'unsafe-inline'"],
    'font-src': ["'self'"],
    'object-src': ["'none'"],
    'base-uri': ["'self'"],
    'form-action': ["'self'"],
  };
  return Object.entries(directives)
    .map(([name, values]) => `${name} ${values.join(' ')}`)
    .join('; ');
}

const META = /<meta http-equiv="Content-Security-Policy" content="[^"]*"\s*\/?>/i;

/** `html` with its CSP <meta> set to `policy` (added first in <head> when it has none). */
export function withCspMeta(html: string, policy: string): string {
  const tag = `<meta http-equiv="Content-Security-Policy" content="${policy.replace(/"/g, '&quot;')}" />`;
  if (META.test(html)) return html.replace(META, tag);
  // after <meta charset> (which must come first), before anything that loads
  const charset = /<meta charset="[^"]*"\s*\/?>/i;
  if (charset.test(html)) return html.replace(charset, (m) => `${m}\n    ${tag}`);
  return html.replace(/<head>/i, `<head>\n    ${tag}`);
}
