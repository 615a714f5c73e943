// The GPU layer: device acquisition, pipeline cache, buffer pool, uploads and readbacks.
export * from './errors.ts';
export * from './device.ts';
export * from './pipelines.ts';
export * from './buffers.ts';
export * from './transfer.ts';
export * from './uniforms.ts';
export * from './usage.ts';
