// The kept tokens of all frames into one buffer, one invocation per output row (no barriers):
// a separator row copies the separator embedding; a kept token copies its features (none,
// random), or is the mean of its members rescaled to their largest norm (ToMe), or adds its
// members' weighted features to its own (PruMerge). VF is vec4 when the width allows.

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> frameRows: array<u32>;
@group(0) @binding(2) var<storage, read> rows: array<vec2<i32>>;
@group(0) @binding(3) var<storage, read> members: array<vec2<u32>>;
@group(0) @binding(4) var<storage, read> spans: array<vec2<u32>>;
@group(0) @binding(5) var<storage, read> features: array<VF>;
@group(0) @binding(6) var<storage, read> fnorm: array<f32>;
@group(0) @binding(7) var<storage, read> separator: array<VF>;
@group(0) @binding(8) var<storage, read_write> out: array<VF>;

@compute @workgroup_size(WG)
fn gather(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) n: vec3u) {
  let r = g.x + g.y * n.x * WG;
  if (r >= frameRows[2u * params.frames]) { return; }
  let D = params.dim / VFW;
  let o = r * D;
  let src = rows[r].x;
  if (src < 0) {
    for (var c = 0u; c < D; c++) { out[o + c] = separator[c]; }
    return;
  }
  let t = u32(src);
  let frameBase = (t / params.tokens) * params.tokens;
  if (params.method == 0u) {
    for (var c = 0u; c < D; c++) { out[o + c] = features[t * D + c]; }
    return;
  }
  let span = spans[t];
  if (params.method == 2u) {
    for (var c = 0u; c < D; c++) { out[o + c] = features[t * D + c]; }
    for (var m = 0u; m < span.y; m++) {
      let e = members[span.x + m];
      let w = bitcast<f32>(e.y);
      let src2 = (frameBase + e.x) * D;
      for (var c = 0u; c < D; c++) { out[o + c] += w * features[src2 + c]; }
    }
    return;
  }
  // ToMe: norm-preserving mean of the members
  var maxNorm = 0.0;
  for (var m = 0u; m < span.y; m++) { maxNorm = max(maxNorm, fnorm[frameBase + members[span.x + m].x]); }
  let first = (frameBase + members[span.x].x) * D;
  for (var c = 0u; c < D; c++) { out[o + c] = features[first + c]; }
  for (var m = 1u; m < span.y; m++) {
    let src2 = (frameBase + members[span.x + m].x) * D;
    for (var c = 0u; c < D; c++) { out[o + c] += features[src2 + c]; }
  }
  let inv = 1.0 / f32(span.y);
  var sq = 0.0;
  for (var c = 0u; c < D; c++) { let x = out[o + c] * inv; sq += dotF(x, x); }
  let nrm = sqrt(sq);
  let scale = select(inv, inv * maxNorm / nrm, nrm > 0.0);
  for (var c = 0u; c < D; c++) { out[o + c] *= scale; }
}
