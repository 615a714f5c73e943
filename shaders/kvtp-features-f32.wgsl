// Feature vectors of the KVTP kernels as f32: the width is not a multiple of 4. A kernel
// file that names `kvtp-features-*.wgsl` on its `// includes:` line gets this file or its
// sibling, chosen by the loader (src/kvtp/gpu/wgsl.ts) from the feature width. Valid WGSL on its own.

alias VF = f32;
/** Floats per VF. */
const VFW: u32 = 1u;

fn dotF(a: VF, b: VF) -> f32 { return a * b; }
