// How many long-lived GPU objects the app's own code has made on each device: shader modules,
// compute pipelines and pooled buffers. The engine makes these once per device and reuses them
// for every question; tests read the counts to show that a second question makes none. ONNX
// Runtime's own objects are not counted (it caches them itself).

export interface GpuObjectCounts {
  readonly shaderModules: number;
  readonly pipelines: number;
  readonly pooledBuffers: number;
}

type Counts = { -readonly [K in keyof GpuObjectCounts]: number };

const perDevice = new WeakMap<GPUDevice, Counts>();

function countsOf(device: GPUDevice): Counts {
  let c = perDevice.get(device);
  if (!c) perDevice.set(device, (c = { shaderModules: 0, pipelines: 0, pooledBuffers: 0 }));
  return c;
}

/** Note that one `kind` object was made on `device`. */
export function countGpuObject(device: GPUDevice, kind: keyof GpuObjectCounts): void {
  countsOf(device)[kind]++;
}

/** The objects made on `device` so far. */
export function gpuObjectCounts(device: GPUDevice): GpuObjectCounts {
  return { ...countsOf(device) };
}
