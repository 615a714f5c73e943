// Shared by the KVTP reduction kernels: each of their files names it on its `// includes:` line
// and the loader (src/kvtp/gpu/wgsl.ts) prepends it; valid WGSL on its own. Layouts are frame-major:
// token u of frame f is row f·N + u. A kept token's "assign" entry is its own index; a merged
// token's is its representative's; a dropped token's is −1. Params mirrors ReduceParams in
// src/kvtp/gpu/layouts.ts.

struct Params {
  frames: u32,      // L
  tokens: u32,      // N
  dim: u32,         // D (features)
  keyDim: u32,      // Dk
  half: u32,        // ceil(N / 2): stride of per-B-token arrays (ToMe)
  neighbours: u32,  // M = min(32, N − 1) (PruMerge)
  method: u32,      // METHOD_COPY (none, random), METHOD_TOME, METHOD_PRUMERGE
  seed: u32,
  width: u32,       // row width of rowNorms
  split: u32,       // invocations sharing a tile's candidate blocks (ToMe matchPairs)
  tiles: u32,       // PruMerge tiles in the work list
}

override WG: u32 = 64u;

// params.method (KernelMethod in src/kvtp/gpu/layouts.ts)
const METHOD_COPY: u32 = 0u;
const METHOD_TOME: u32 = 1u;
const METHOD_PRUMERGE: u32 = 2u;

/** Cosine of two rows given their norms; 0 when either is zero. */
fn cosineOf(dotv: f32, na: f32, nb: f32) -> f32 {
  if (na > 0.0 && nb > 0.0) { return dotv / (na * nb); }
  return 0.0;
}
