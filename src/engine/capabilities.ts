// What this browser offers the pipeline: WebGPU (with which adapter, whether f16) and WebCodecs.

import { toErrorInfo } from '../core/errors.ts';
import type { DeviceSlot } from './device.ts';
import type { Capabilities } from './types.ts';

export async function capabilities(device: DeviceSlot): Promise<Capabilities> {
  const webcodecs = typeof VideoDecoder === 'function';
  try {
    const ctx = await device.context();
    const { vendor, architecture, description } = ctx.adapterInfo;
    const adapter = [vendor, architecture, description].filter(Boolean).join(' ') || 'unknown';
    return { webgpu: true, adapter, f16: ctx.hasF16, webcodecs, gpuError: null };
  } catch (e) {
    return {
      webgpu: typeof navigator !== 'undefined' && 'gpu' in navigator,
      adapter: null,
      f16: false,
      webcodecs,
      gpuError: toErrorInfo(e),
    };
  }
}
