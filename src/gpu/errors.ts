// GPU errors as values with a code and a message a person can act on. Made only here.

export type GpuErrorCode =
  | 'no-webgpu' // the browser (or Node) exposes no navigator.gpu
  | 'no-adapter' // navigator.gpu exists but no adapter was offered
  | 'device-failed' // requestDevice rejected
  | 'device-lost' // the device was lost while in use
  | 'out-of-memory' // an allocation failed
  | 'too-large' // a buffer exceeds the device's limits
  | 'validation'; // a shader or command was rejected (a bug of ours)

const messages: Record<GpuErrorCode, string> = {
  'no-webgpu':
    'This browser does not offer WebGPU. Use a recent Chrome or Edge (version 113 or later); on Linux, start it with --enable-unsafe-webgpu.',
  'no-adapter':
    'WebGPU is present but no GPU adapter is available. Check that hardware acceleration is on (chrome://settings/system) and that your GPU driver is not blocklisted (chrome://gpu).',
  'device-failed': 'The GPU refused to create a device for kvtp-web.',
  'device-lost':
    'The GPU device was lost (the driver was reset or the tab ran out of GPU memory). Your video and conversation are kept; the GPU work will be started again.',
  'out-of-memory': 'The GPU ran out of memory.',
  'too-large': 'The data is larger than this GPU can hold in one buffer.',
  validation: 'A GPU command was rejected.',
};

export class GpuError extends Error {
  override readonly name = 'GpuError';
  constructor(
    readonly code: GpuErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The one way to make a GpuError: the standard message for `code`, plus any detail. */
export function gpuError(code: GpuErrorCode, detail?: string, cause?: unknown): GpuError {
  const message = detail ? `${messages[code]} (${detail})` : messages[code];
  return new GpuError(code, message, cause === undefined ? undefined : { cause });
}
