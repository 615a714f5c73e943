// Counts GPU traffic in this thread that the pipeline promises to keep small: every
// GPUBuffer.mapAsync for reading (a readback to the CPU: ours, and ONNX Runtime's, which runs on
// the same device) with its size, and every GPUDevice.createBuffer (an allocation). An answer
// reports them per question and per decoding step. It only counts: it never changes, delays or
// adds a transfer. Where there is no WebGPU (Node tests on wasm) `available` is false and every
// count is 0.

export interface GpuTraffic {
  /** mapAsync(READ) calls, and the bytes they mapped. */
  readonly readbacks: number;
  readonly readBytes: number;
  /** createBuffer calls (by anyone on any device of this thread). */
  readonly buffersMade: number;
}

export interface GpuMeter {
  readonly available: boolean;
  /** The traffic since the last take (or since the meter was made); then counts afresh. */
  take(): GpuTraffic;
}

const READ = 0x0001;
const totals = { readbacks: 0, readBytes: 0, buffersMade: 0 };
let installed: boolean | null = null;

type Protos = { GPUBuffer?: { prototype: GPUBuffer }; GPUDevice?: { prototype: GPUDevice } };

function install(): boolean {
  if (installed !== null) return installed;
  const buffer = (globalThis as Protos).GPUBuffer?.prototype;
  const device = (globalThis as Protos).GPUDevice?.prototype;
  installed = typeof buffer?.mapAsync === 'function' && typeof device?.createBuffer === 'function';
  if (!installed || !buffer || !device) return false;
  const mapAsync = buffer.mapAsync;
  buffer.mapAsync = function (this: GPUBuffer, mode: number, offset?: number, size?: number) {
    if (mode & READ) {
      totals.readbacks++;
      totals.readBytes += size ?? this.size - (offset ?? 0);
    }
    return mapAsync.call(this, mode, offset, size);
  };
  const createBuffer = device.createBuffer;
  device.createBuffer = function (this: GPUDevice, descriptor: GPUBufferDescriptor) {
    totals.buffersMade++;
    return createBuffer.call(this, descriptor);
  };
  return true;
}

/** A meter over this thread's GPU traffic (installs the counters on first use). */
export function gpuMeter(): GpuMeter {
  const available = install();
  let mark = { ...totals };
  return {
    available,
    take() {
      const out = {
        readbacks: totals.readbacks - mark.readbacks,
        readBytes: totals.readBytes - mark.readBytes,
        buffersMade: totals.buffersMade - mark.buffersMade,
      };
      mark = { ...totals };
      return out;
    },
  };
}
