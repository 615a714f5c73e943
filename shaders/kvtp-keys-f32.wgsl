// Key vectors of the KVTP kernels as f32: the width is not a multiple of 4. A kernel file that
// names `kvtp-keys-*.wgsl` on its `// includes:` line gets this file or its sibling, chosen by
// the loader (src/kvtp/gpu/wgsl.ts) from the key width. Valid WGSL on its own.

alias VK = f32;
/** Floats per VK. */
const VKW: u32 = 1u;

fn dotK(a: VK, b: VK) -> f32 { return a * b; }

/** The dot products of key vector b with a0 … a3. */
fn dots4K(b: VK, a0: VK, a1: VK, a2: VK, a3: VK) -> vec4<f32> {
  return vec4<f32>(dotK(b, a0), dotK(b, a1), dotK(b, a2), dotK(b, a3));
}
