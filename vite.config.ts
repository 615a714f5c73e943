// Vite: the app (index.html) and the automation page the `kvtp` command line drives
// (automation.html). Cross-origin isolation is on so that ONNX Runtime's wasm fallback may use
// threads; WebGPU needs a secure context, which localhost is. Each page carries the
// Content-Security-Policy of cli/csp.ts as its first <meta> (dev server, preview and build alike):
// connections only to the page's origin and the Hub (plus HF_ENDPOINT's host when set), no inline
// script (in dev, only React's refresh preamble, by its hash).
import { createHash } from 'node:crypto';
import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';
import { resolve } from 'node:path';
import { contentSecurityPolicy, withCspMeta } from './cli/csp.ts';

const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

const endpoints = process.env.HF_ENDPOINT ? [process.env.HF_ENDPOINT] : [];
/** The one inline script of the dev server: @vitejs/plugin-react's refresh preamble (base '/'). */
const preamble = react.preambleCode.replace('__BASE__', '/');
const devPolicy = contentSecurityPolicy({
  endpoints,
  scriptHashes: [`sha256-${createHash('sha256').update(preamble).digest('base64')}`],
});
const policy = contentSecurityPolicy({ endpoints });

/**
 * The policy in each page (a <meta>: it covers the page wherever the build is served) and, from
 * the dev and preview servers, as a header on every response: a worker takes the policy of its
 * own script's response, not the page's <meta>.
 */
function csp(): Plugin {
  let dev = false;
  return {
    name: 'kvtp-csp',
    configResolved(config) {
      dev = config.command === 'serve' && !config.isProduction;
    },
    transformIndexHtml: {
      order: 'post',
      handler: (html) => withCspMeta(html, dev ? devPolicy : policy),
    },
  };
}

export default defineConfig({
  plugins: [react(), csp()],
  server: {
    port: Number(process.env.PORT ?? 5173),
    strictPort: true,
    headers: { ...isolation, 'Content-Security-Policy': devPolicy },
  },
  preview: {
    port: Number(process.env.PORT ?? 4173),
    headers: { ...isolation, 'Content-Security-Policy': policy },
  },
  worker: { format: 'es' },
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  build: {
    target: 'es2022',
    sourcemap: true,
    rollupOptions: {
      input: {
        app: resolve(import.meta.dirname, 'index.html'),
        automation: resolve(import.meta.dirname, 'automation.html'),
      },
    },
  },
});
