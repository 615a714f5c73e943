// Compute pipelines and shader modules, made once per device and reused: the key is the WGSL
// source, the entry point and the override constants (workgroup sizes are overrides chosen by
// the driver, never literals repeated in WGSL).

import { countGpuObject } from './counters.ts';

export type OverrideConstants = Readonly<Record<string, number>>;

export class PipelineCache {
  private readonly modules = new Map<string, GPUShaderModule>();
  private readonly pipelines = new Map<string, GPUComputePipeline>();

  constructor(readonly device: GPUDevice) {}

  /** The compute pipeline for `entryPoint` of `code` with `constants`, compiled on first use. */
  compute(
    code: string,
    entryPoint: string,
    constants: OverrideConstants = {},
    label = entryPoint,
  ): GPUComputePipeline {
    const key = `${entryPoint}\u0000${stableKey(constants)}\u0000${code}`;
    let pipeline = this.pipelines.get(key);
    if (!pipeline) {
      pipeline = this.device.createComputePipeline({
        label,
        layout: 'auto',
        compute: { module: this.module(code, label), entryPoint, constants: { ...constants } },
      });
      countGpuObject(this.device, 'pipelines');
      this.pipelines.set(key, pipeline);
    }
    return pipeline;
  }

  /** Number of distinct pipelines compiled so far (for tests and diagnostics). */
  get size(): number {
    return this.pipelines.size;
  }

  private module(code: string, label: string): GPUShaderModule {
    let module = this.modules.get(code);
    if (!module) {
      module = this.device.createShaderModule({ label, code });
      countGpuObject(this.device, 'shaderModules');
      this.modules.set(code, module);
    }
    return module;
  }
}

function stableKey(constants: OverrideConstants): string {
  return Object.keys(constants)
    .sort()
    .map((k) => `${k}=${constants[k]}`)
    .join(',');
}

/** A bind group for group 0 (or `group`) of `pipeline` with `buffers` at bindings 0, 1, 2… */
export function bindBuffers(
  device: GPUDevice,
  pipeline: GPUComputePipeline,
  buffers: readonly (GPUBuffer | GPUBufferBinding)[],
  group = 0,
): GPUBindGroup {
  return device.createBindGroup({
    layout: pipeline.getBindGroupLayout(group),
    entries: buffers.map((b, binding) => ({
      binding,
      resource: 'buffer' in b ? b : { buffer: b },
    })),
  });
}

/** Workgroups needed to cover `n` invocations with `size` per workgroup (at least 1). */
export function workgroups(n: number, size: number): number {
  return Math.max(1, Math.ceil(n / size));
}
