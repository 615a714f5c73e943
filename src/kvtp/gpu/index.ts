// The KVTP GPU backend's public face: the backend, and reading a reduction back.
export { GpuKvtp, type GpuKvtpOptions } from './backend.ts';
export type { ReducedOnGpu } from './chain.ts';
export { readProvenance, readReduced, type Provenance } from './read.ts';
