// Encoding that fits the GPU (issue 12, item 3), in Chromium on a WebGPU device whose limits are
// lowered on purpose: the app's GPU encode (encodeTexturesGpu) runs the vision encoder and the
// relevance image tower in chunks the limits allow, no buffer larger than them is ever asked
// for, no GPU error is raised, and the chunked features are the one-run features. Always on the
// fixture packages; on the real-size replicas (tools/replicas/make_replicas.py) when they exist:
// 32 frames of SigLIP-B/16 at 512, whose one run would need 1.5 GiB in one buffer.
import { existsSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../cli/chromium.ts';
import type { EncodeCheck } from './pages/encode-chunks.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const REPLICAS = [
  '.cache/replicas/smolvlm2-256m/onnx/vision_encoder.onnx_data',
  '.cache/replicas/siglip-base-224/onnx/vision_model.onnx_data',
].every((p) => existsSync(ROOT + p));
const MIB = 2 ** 20;

let server: ViteDevServer;
let browser: Browser;
let page: Page;
beforeAll(async () => {
  server = await createServer({
    root: ROOT,
    configFile: false,
    logLevel: 'error',
    server: { port: 0, host: '127.0.0.1', fs: { allow: [ROOT] }, hmr: false },
    optimizeDeps: { exclude: ['onnxruntime-web'], noDiscovery: true, include: [] },
  });
  await server.listen();
  const address = server.httpServer!.address() as { port: number };
  browser = await launchChromium();
  page = await browser.newPage();
  page.on('console', (m) => m.type() === 'error' && console.error('page:', m.text()));
  await page.goto(`http://127.0.0.1:${address.port}/tests/e2e/pages/encode-chunks.html`);
  await page.waitForFunction(() => typeof window.encodeCheck === 'function', null, {
    timeout: 120_000,
  });
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

type Caps = { maxStorageBufferBindingSize: number; maxBufferSize: number };
const check = (which: 'fixture' | 'replica', frames: number, caps?: Caps, values = true) =>
  page.evaluate(([w, f, c, v]) => window.encodeCheck(w, f, c ?? undefined, v), [
    which,
    frames,
    caps ?? null,
    values,
  ] as const) as Promise<EncodeCheck>;

const worst = (a: number[], b: number[]) =>
  a.reduce((w, x, i) => Math.max(w, Math.abs(x - b[i]!)), 0);

describe('the fixture packages on a device with lowered limits', () => {
  it('encode 9 frames in chunks within the limits, as one run encodes them', async () => {
    // 150 KiB a buffer: the video's vision tokens (9 × 64 × 64 floats, 144 KiB, one buffer that
    // KVTP reads whole) fit; the VLM's 48 KiB of pixels a frame → 3 frames a run; the relevance
    // tower's 12 KiB a frame → all 9 (its chunking is in tests/unit/encode-chunks). WebGPU grants
    // no less than its defaults: the app plans by the lowered figure, and the test checks that
    // no buffer above it is ever asked for.
    const caps = { maxStorageBufferBindingSize: 150 * 1024, maxBufferSize: 150 * 1024 };
    const chunked = await check('fixture', 9, caps);
    expect(chunked.limits).toEqual(caps);
    expect(chunked.plans).toEqual({ vision: 3, relevance: 9 });
    expect(chunked.progress).toEqual(['vision 3/9', 'vision 6/9', 'vision 9/9', 'relevance 9/9']);
    expect(chunked.errors).toEqual([]);
    // kvtp-web's own buffers (labelled) stay within the cap; ONNX Runtime rounds its tensors'
    // buffers up to its size buckets (256 KiB at this scale), and they shrink with the chunk
    const ours = (r: EncodeCheck) => r.buffers.filter((b) => b.label !== '');
    const ort = (r: EncodeCheck) =>
      Math.max(...r.buffers.filter((b) => !b.label).map((b) => b.size));
    expect(Math.max(...ours(chunked).map((b) => b.size))).toBeLessThanOrEqual(caps.maxBufferSize);
    const whole = await check('fixture', 9);
    expect(whole.progress).toEqual(['vision 9/9', 'relevance 9/9']);
    // one run asks for more than the cap: 432 KiB of pixels
    expect(ours(whole).find((b) => b.label === 'pixel_values')!.size).toBe(9 * 3 * 64 * 64 * 4);
    expect(ort(chunked)).toBeLessThan(ort(whole));
    expect(chunked.tokens).toHaveLength(9 * 64 * 64);
    expect(worst(chunked.tokens, whole.tokens)).toBeLessThan(1e-4);
    expect(worst(chunked.embeddings, whole.embeddings)).toBeLessThan(1e-4);
  }, 180_000);

  it('say too-large when one frame cannot fit', async () => {
    const caps = { maxStorageBufferBindingSize: 40 * 1024, maxBufferSize: 40 * 1024 };
    const err = await check('fixture', 2, caps).catch((e: Error) => e);
    expect(String(err)).toMatch(/one frame's pixel values needs 0\.05 MiB, over this GPU's/);
  }, 60_000);
});

describe.runIf(REPLICAS)('the real-size replicas on WebGPU’s default limits', () => {
  it('encode 32 frames of SigLIP-B/16 at 512 in chunks, never past the limits', async () => {
    // the default limits (128 MiB a binding, 256 MiB a buffer): lowered from SwiftShader's 1 GiB
    const caps = { maxStorageBufferBindingSize: 128 * MIB, maxBufferSize: 256 * MIB };
    const r = await check('replica', 32, caps, false);
    console.log(
      `replicas, 32 frames: chunks of ${r.plans.vision} (vision) and ${r.plans.relevance} (relevance), ` +
        `largest buffer ${(r.largestBuffer / MIB).toFixed(1)} MiB, ${(r.ms / 1000).toFixed(0)} s`,
    );
    expect(r.limits).toEqual(caps);
    expect(r.plans.vision).toBe(2);
    expect(r.progress.filter((p) => p.startsWith('vision'))).toHaveLength(16);
    expect(r.progress.at(-1)).toBe('relevance 32/32');
    expect(r.errors).toEqual([]);
    expect(r.largestBuffer).toBeLessThanOrEqual(caps.maxStorageBufferBindingSize);
    expect(r.tokens).toEqual([32 * 64 * 576]);
    expect(r.finite).toBe(true);
  }, 3_600_000);
});
