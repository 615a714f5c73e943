// Feature vectors of the KVTP kernels as vec4<f32>: the width is a multiple of 4, so loops load 16
// bytes at a time. A kernel file that names `kvtp-features-*.wgsl` on its `// includes:` line gets
// this file or its sibling, chosen by the loader (src/kvtp/gpu/wgsl.ts) from the feature width. Valid
// WGSL on its own.

alias VF = vec4<f32>;
/** Floats per VF. */
const VFW: u32 = 4u;

fn dotF(a: VF, b: VF) -> f32 { return dot(a, b); }
