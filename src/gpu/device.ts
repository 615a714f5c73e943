// Acquiring a GPUDevice, the same code in the browser (navigator.gpu) and in Node (the `webgpu`
// package's GPU object): the GPU object is injected. Asks for the adapter's real storage and
// buffer limits and for shader-f16 where offered. Never falls back silently: no adapter is an
// error value with a code.

import { gpuError, type GpuError } from './errors.ts';

/** What the rest of the app needs to know about the device it got. */
export interface GpuContext {
  readonly device: GPUDevice;
  readonly adapterInfo: { vendor: string; architecture: string; description: string };
  /** The limits the device was created with (the adapter's own, not the defaults). */
  readonly limits: GpuLimits;
  /** `shader-f16` is enabled on the device: f16 kernels and fp16 model variants may be used. */
  readonly hasF16: boolean;
  /** Optional features enabled on the device, by name. */
  readonly features: ReadonlySet<string>;
  /** Settles when the device is lost for any reason other than our own destroy(). */
  readonly lost: Promise<GpuError>;
  /** Uncaptured GPU errors (validation, out of memory) since the last call; clears them. */
  takeErrors(): string[];
}

export interface GpuLimits {
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
  maxComputeWorkgroupStorageSize: number;
  maxComputeInvocationsPerWorkgroup: number;
  maxComputeWorkgroupSizeX: number;
  maxComputeWorkgroupsPerDimension: number;
  maxStorageBuffersPerShaderStage: number;
}

const limitNames: readonly (keyof GpuLimits)[] = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
];

/** Features we enable whenever the adapter offers them (ONNX Runtime uses the same ones). */
const optionalFeatures: readonly GPUFeatureName[] = ['shader-f16', 'subgroups', 'timestamp-query'];

export interface AcquireOptions {
  powerPreference?: GPUPowerPreference;
  /** Pretend shader-f16 is absent (to test the f32 path on hardware that has f16). */
  disableF16?: boolean;
  /**
   * Ask for at most these limits instead of the adapter's (a device with lowered limits, to test
   * that work fits them). WebGPU never grants less than its defaults; below those the context
   * reports the lower value, which the app plans its buffers by.
   */
  limits?: Partial<Pick<GpuLimits, 'maxStorageBufferBindingSize' | 'maxBufferSize'>>;
}

/**
 * Get a device from `gpu` (pass `navigator.gpu` in a browser or worker, or the object from the
 * `webgpu` package's `create()` in Node). Rejects with a GpuError when there is none.
 */
export async function acquireGpu(
  gpu: GPU | undefined,
  options: AcquireOptions = {},
): Promise<GpuContext> {
  if (!gpu) throw gpuError('no-webgpu');
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter({
      powerPreference: options.powerPreference ?? 'high-performance',
    });
  } catch (cause) {
    throw gpuError('no-adapter', String(cause), cause);
  }
  if (!adapter) throw gpuError('no-adapter');

  const requiredLimits: Record<string, number> = {};
  const cap = (name: keyof GpuLimits, value: number) => {
    const c = (options.limits as Partial<GpuLimits> | undefined)?.[name];
    return c === undefined ? value : Math.min(value, c);
  };
  for (const name of limitNames) requiredLimits[name] = cap(name, adapter.limits[name]);
  const requiredFeatures = optionalFeatures.filter(
    (f) => adapter.features.has(f) && !(options.disableF16 && f === 'shader-f16'),
  );

  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ requiredLimits, requiredFeatures, label: 'kvtp-web' });
  } catch (cause) {
    throw gpuError('device-failed', String(cause), cause);
  }

  const errors: string[] = [];
  device.addEventListener('uncapturederror', (e) => {
    const message = (e as GPUUncapturedErrorEvent).error.message;
    errors.push(message);
    console.error(`WebGPU: ${message}`);
  });

  const limits = {} as GpuLimits;
  for (const name of limitNames) limits[name] = cap(name, device.limits[name]);
  const info = adapter.info;
  const lost = device.lost.then(lostError);
  return {
    device,
    adapterInfo: {
      vendor: info?.vendor ?? '',
      architecture: info?.architecture ?? '',
      description: info?.description ?? '',
    },
    limits,
    hasF16: device.features.has('shader-f16'),
    features: new Set([...device.features].map(String)),
    lost,
    takeErrors: () => errors.splice(0),
  };
}

/**
 * The error for a device-lost report, or a promise that never settles when the loss was our own
 * destroy() (not an error).
 */
export function lostError(info: GPUDeviceLostInfo): GpuError | Promise<GpuError> {
  if (info.reason === 'destroyed') return new Promise<GpuError>(() => {});
  return gpuError('device-lost', info.message || 'unknown reason');
}

/** Throws a `too-large` GpuError if a buffer of `bytes` cannot be bound as storage on `ctx`. */
export function checkStorageSize(ctx: Pick<GpuContext, 'limits'>, bytes: number, what: string) {
  const max = Math.min(ctx.limits.maxStorageBufferBindingSize, ctx.limits.maxBufferSize);
  if (bytes > max) {
    throw gpuError(
      'too-large',
      `${what} needs ${formatBytes(bytes)}, this GPU binds at most ${formatBytes(max)}`,
    );
  }
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}
