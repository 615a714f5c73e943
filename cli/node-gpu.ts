// WebGPU in Node: Dawn from the `webgpu` package. On machines without a GPU it runs on
// SwiftShader, the Vulkan driver Debian's chromium package ships; we point the Vulkan loader at it
// unless the caller already chose a driver. Node-only: never imported by browser code.

import { existsSync } from 'node:fs';

export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

let cached: GPU | undefined;

/** The Node GPU object (navigator.gpu's equivalent), with WebGPU's globals installed. */
export async function nodeGpu(): Promise<GPU> {
  if (cached) return cached;
  if (!process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) {
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  }
  const { create, globals } = await import('webgpu');
  Object.assign(globalThis, globals);
  cached = create([]) as GPU;
  return cached;
}
