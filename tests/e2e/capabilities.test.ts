// The automation page's worker sees WebGPU (SwiftShader) and WebCodecs in headless Chromium.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openSession, type AutomationSession } from '../../cli/browser.ts';
import type { Capabilities } from '../../src/worker/protocol.ts';

let session: AutomationSession;
beforeAll(async () => {
  session = await openSession();
});
afterAll(() => session?.close());

it('reports WebGPU with an adapter, no f16 on SwiftShader, and WebCodecs', async () => {
  const outcome = await session.request<Capabilities>('capabilities', {});
  expect(outcome.error).toBeUndefined();
  expect(outcome.result).toMatchObject({ webgpu: true, webcodecs: true, gpuError: null });
  expect(outcome.result!.adapter).toMatch(/swiftshader/i);
  expect(outcome.result!.f16).toBe(false);
});

it('is cross-origin isolated (threaded wasm fallback possible)', async () => {
  expect(await session.page.evaluate(() => self.crossOriginIsolated)).toBe(true);
});
