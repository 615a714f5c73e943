// includes: kvtp-common.wgsl kvtp-features-*.wgsl
// The kept tokens of all frames into one buffer. `gather`: one invocation per (output row, run
// of CHUNK vectors of it), eight vectors at a time summed in registers over the members and
// written once (long runs per invocation: on a CPU-emulated GPU an invocation's start-up costs
// as much as its loads). A kept token copies its row of `features` (none, random; ToMe binds its merged values there), or adds its
// members' weighted features to its own (PruMerge). VF is vec4 when the width allows.

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> frameRows: array<u32>;
@group(0) @binding(2) var<storage, read> rows: array<vec2<i32>>;
@group(0) @binding(3) var<storage, read> members: array<vec2<u32>>;
@group(0) @binding(4) var<storage, read> spans: array<vec2<u32>>;
@group(0) @binding(5) var<storage, read> features: array<VF>;
@group(0) @binding(6) var<storage, read_write> out: array<VF>;

fn rowCount() -> u32 { return frameRows[2u * params.frames]; }

const CHUNK: u32 = 64u;

// (x + y·…: row · runs + run)
@compute @workgroup_size(WG)
fn gather(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) n: vec3u) {
  let D = params.dim / VFW;
  let runs = (D + CHUNK - 1u) / CHUNK;
  let id = g.x + g.y * n.x * WG;
  let r = id / runs;
  if (r >= rowCount()) { return; }
  let first = (id - r * runs) * CHUNK;
  let last = min(first + CHUNK, D);
  let o = r * D;
  let t = u32(rows[r].x);
  if (params.method != METHOD_PRUMERGE) {
    for (var c = first; c < last; c++) { out[o + c] = features[t * D + c]; }
    return;
  }
  let frameBase = (t / params.tokens) * params.tokens;
  let span = spans[t];
  // PruMerge: the token plus its weighted members
  let own = t * D;
  for (var c = first; c < last; c += 8u) {
    // the run's last vectors are clamped to it: read twice, written once
    let i0 = c; let i1 = min(c + 1u, last - 1u); let i2 = min(c + 2u, last - 1u); let i3 = min(c + 3u, last - 1u);
    let i4 = min(c + 4u, last - 1u); let i5 = min(c + 5u, last - 1u); let i6 = min(c + 6u, last - 1u); let i7 = min(c + 7u, last - 1u);
    var a0 = features[own + i0]; var a1 = features[own + i1]; var a2 = features[own + i2]; var a3 = features[own + i3];
    var a4 = features[own + i4]; var a5 = features[own + i5]; var a6 = features[own + i6]; var a7 = features[own + i7];
    for (var m = 0u; m < span.y; m++) {
      let e = members[span.x + m];
      let w = bitcast<f32>(e.y);
      let s = (frameBase + e.x) * D;
      a0 += w * features[s + i0]; a1 += w * features[s + i1]; a2 += w * features[s + i2]; a3 += w * features[s + i3];
      a4 += w * features[s + i4]; a5 += w * features[s + i5]; a6 += w * features[s + i6]; a7 += w * features[s + i7];
    }
    out[o + i0] = a0;
    if (c + 1u < last) { out[o + i1] = a1; }
    if (c + 2u < last) { out[o + i2] = a2; }
    if (c + 3u < last) { out[o + i3] = a3; }
    if (c + 4u < last) { out[o + i4] = a4; }
    if (c + 5u < last) { out[o + i5] = a5; }
    if (c + 6u < last) { out[o + i6] = a6; }
    if (c + 7u < last) { out[o + i7] = a7; }
  }
}
