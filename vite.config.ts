// Vite: the app (index.html) and the automation page the `kvtp` command line drives
// (automation.html). Cross-origin isolation is on so that ONNX Runtime's wasm fallback may use
// threads; WebGPU needs a secure context, which localhost is.
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { resolve } from 'node:path';

const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  plugins: [react()],
  server: {
    port: Number(process.env.PORT ?? 5173),
    strictPort: true,
    headers: isolation,
  },
  preview: {
    port: Number(process.env.PORT ?? 4173),
    headers: isolation,
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
