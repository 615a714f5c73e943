// Kernel families: one WGSL file with several entry points that share one explicit bind group
// layout (so every entry binds the same buffers, used or not), dispatch helpers, what every
// method's encoder gets to record with (`Recording`), and where a chain's buffers come from
// (fresh, or a BufferPool that later runs reuse).

import type { BufferPool } from '../../gpu/buffers.ts';
import { countGpuObject } from '../../gpu/counters.ts';
import { checkStorageSize, type GpuContext } from '../../gpu/device.ts';
import { upload } from '../../gpu/transfer.ts';
import { STORAGE, UNIFORM } from '../../gpu/usage.ts';
import type { FrameTokens, Rows } from '../types.ts';
import type { VectorWidths } from './wgsl.ts';

/** How each binding of a family is used, in binding order. */
export type BindingKind = 'uniform' | 'read' | 'storage';
/** Binding kinds, short, for the binding lists of the kernel specs. */
export const U: BindingKind = 'uniform';
export const R: BindingKind = 'read';
export const W: BindingKind = 'storage';

/** A kernel family as its driver declares it: the WGSL file and each binding's use. */
export interface KernelSpec {
  readonly name: string;
  readonly code: string;
  readonly bindings: readonly BindingKind[];
}

/** How a family is compiled: row widths (vec4 or f32 loads) and override constants. */
export interface VariantOptions {
  readonly widths?: VectorWidths;
  /** Override constants; WG defaults to the backend's where the source declares it. */
  readonly overrides?: Readonly<Record<string, number>>;
}

/** Where encoders get their compiled families from (GpuKvtp: once per device and variant). */
export interface Kernels {
  readonly ctx: GpuContext;
  family(spec: KernelSpec, options?: VariantOptions): KernelFamily;
}

/** What a method's encoder records with: the kernels, the encoder, the shape and its temps. */
export interface Recording {
  readonly kernels: Kernels;
  readonly encoder: GPUCommandEncoder;
  readonly tokens: FrameTokens<Rows>;
  /** Buffers released with the recording's work. */
  readonly temps: ChainBuffers;
  /** The workgroup size of the per-token and per-frame dispatches. */
  readonly wg: number;
}

/** Workgroups as (x, y) within the per-dimension limit. */
export function grid2d(groups: number, max: number): [number, number] {
  const x = Math.max(1, Math.min(groups, max));
  return [x, Math.max(1, Math.ceil(groups / x))];
}

/** A buffer holding `data` (16 zero bytes when it is empty: a binding needs a buffer). */
export function uploadData(
  ctx: GpuContext,
  data: ArrayBufferView,
  label: string,
  usage = STORAGE,
): GPUBuffer {
  return upload(ctx, data.byteLength ? data : new Uint8Array(16), usage, label);
}

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
    countGpuObject(device, 'shaderModules');
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
      countGpuObject(this.device, 'pipelines');
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

/**
 * The buffers of one dispatch chain: from `pool` when given (contents undefined: every kernel
 * writes what it later reads), else made fresh. Uploads go through the queue, so a pooled buffer
 * is safe to refill once the chain that used it was submitted. `release()` gives them all back
 * (pool) or destroys them.
 */
export class ChainBuffers {
  private readonly taken: GPUBuffer[] = [];

  constructor(
    private readonly ctx: Pick<GpuContext, 'device' | 'limits'>,
    private readonly pool: BufferPool | null,
  ) {}

  /** A storage buffer of at least `bytes` (16 at least), contents undefined. */
  storage(bytes: number, label: string): GPUBuffer {
    return this.take(Math.max(16, Math.ceil(bytes / 16) * 16), STORAGE, label);
  }

  /** A storage (or uniform) buffer holding `data`. */
  upload(data: ArrayBufferView, label: string, usage = STORAGE): GPUBuffer {
    const bytes = new Uint8Array(data.buffer as ArrayBuffer, data.byteOffset, data.byteLength);
    const b = this.take(Math.max(16, Math.ceil(bytes.byteLength / 16) * 16), usage, label);
    if (bytes.byteLength % 4 === 0) this.ctx.device.queue.writeBuffer(b, 0, bytes);
    else {
      const padded = new Uint8Array(Math.ceil(bytes.byteLength / 4) * 4);
      padded.set(bytes);
      this.ctx.device.queue.writeBuffer(b, 0, padded);
    }
    return b;
  }

  uniform(data: ArrayBuffer, label: string): GPUBuffer {
    return this.upload(new Uint8Array(data), label, UNIFORM);
  }

  /** Stop tracking `buffer`: the caller owns it now (and destroys it). */
  handOver(buffer: GPUBuffer): void {
    const i = this.taken.indexOf(buffer);
    if (i >= 0) this.taken.splice(i, 1);
  }

  release(): void {
    const all = this.taken.splice(0);
    if (this.pool) this.pool.release(...all);
    else all.forEach((b) => b.destroy());
  }

  private take(size: number, usage: number, label: string): GPUBuffer {
    checkStorageSize(this.ctx, size, label);
    const b = this.pool
      ? this.pool.acquire(size, usage, label)
      : this.ctx.device.createBuffer({ size, usage, label });
    this.taken.push(b);
    return b;
  }
}
