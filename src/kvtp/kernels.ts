// Kernel families: one WGSL file with several entry points that share one explicit bind group
// layout (so every entry binds the same buffers, used or not), and dispatch helpers.

import { STORAGE } from '../gpu/usage.ts';

/** How each binding of a family is used, in binding order. */
export type BindingKind = 'uniform' | 'read' | 'storage';

export class KernelFamily {
  private readonly layout: GPUBindGroupLayout;
  private readonly pipelineLayout: GPUPipelineLayout;
  private readonly module: GPUShaderModule;
  private readonly pipelines = new Map<string, GPUComputePipeline>();

  constructor(
    readonly device: GPUDevice,
    readonly label: string,
    code: string,
    readonly bindings: readonly BindingKind[],
    private readonly constants: Record<string, number> = {},
  ) {
    this.layout = device.createBindGroupLayout({
      label,
      entries: bindings.map((kind, binding) => ({
        binding,
        visibility: 4, // GPUShaderStage.COMPUTE
        buffer: {
          type: kind === 'uniform' ? 'uniform' : kind === 'read' ? 'read-only-storage' : 'storage',
        },
      })),
    });
    this.pipelineLayout = device.createPipelineLayout({ label, bindGroupLayouts: [this.layout] });
    this.module = device.createShaderModule({ label, code });
  }

  pipeline(entryPoint: string): GPUComputePipeline {
    let p = this.pipelines.get(entryPoint);
    if (!p) {
      const constants = Object.keys(this.constants).length ? { constants: this.constants } : {};
      p = this.device.createComputePipeline({
        label: `${this.label}:${entryPoint}`,
        layout: this.pipelineLayout,
        compute: { module: this.module, entryPoint, ...constants },
      });
      this.pipelines.set(entryPoint, p);
    }
    return p;
  }

  bind(buffers: readonly GPUBuffer[]): GPUBindGroup {
    if (buffers.length !== this.bindings.length) {
      throw new Error(
        `${this.label}: ${buffers.length} buffers for ${this.bindings.length} bindings`,
      );
    }
    return this.device.createBindGroup({
      label: this.label,
      layout: this.layout,
      entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
  }

  /** Record one dispatch of `entryPoint` in its own pass. */
  dispatch(
    encoder: GPUCommandEncoder,
    entryPoint: string,
    group: GPUBindGroup,
    x: number,
    y = 1,
    z = 1,
  ) {
    const pass = encoder.beginComputePass({ label: `${this.label}:${entryPoint}` });
    pass.setPipeline(this.pipeline(entryPoint));
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(x, y, z);
    pass.end();
  }
}

/** A zero-filled storage buffer of at least 16 bytes (for bindings an entry does not use). */
export function scratch(device: GPUDevice, bytes: number, label: string): GPUBuffer {
  return device.createBuffer({
    size: Math.max(16, Math.ceil(bytes / 16) * 16),
    usage: STORAGE,
    label,
  });
}
