// What this browser offers the pipeline: WebGPU (with which adapter, whether f16) and WebCodecs.

import { acquireGpu } from '../gpu/device.ts';
import { toErrorInfo } from '../core/errors.ts';
import type { Handler } from '../worker/handlers.ts';
import { gpu } from './state.ts';

export const capabilities: Handler<'capabilities'> = async () => {
  const webcodecs = typeof VideoDecoder === 'function';
  try {
    const ctx = await gpu(() => acquireGpu(navigator.gpu));
    const { vendor, architecture, description } = ctx.adapterInfo;
    const adapter = [vendor, architecture, description].filter(Boolean).join(' ') || 'unknown';
    return { webgpu: true, adapter, f16: ctx.hasF16, webcodecs, gpuError: null };
  } catch (e) {
    return {
      webgpu: 'gpu' in navigator,
      adapter: null,
      f16: false,
      webcodecs,
      gpuError: toErrorInfo(e),
    };
  }
};
