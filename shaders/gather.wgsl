// The kept tokens of all frames into one buffer, one workgroup per output row: a separator
// row copies the separator embedding; a kept token copies its features (none, random), or is
// the mean of its members rescaled to their largest norm (ToMe), or adds its members'
// weighted features to its own (PruMerge).

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> frameRows: array<u32>;
@group(0) @binding(2) var<storage, read> rows: array<vec2<i32>>;
@group(0) @binding(3) var<storage, read> members: array<vec2<u32>>;
@group(0) @binding(4) var<storage, read> spans: array<vec2<u32>>;
@group(0) @binding(5) var<storage, read> features: array<f32>;
@group(0) @binding(6) var<storage, read> fnorm: array<f32>;
@group(0) @binding(7) var<storage, read> separator: array<f32>;
@group(0) @binding(8) var<storage, read_write> out: array<f32>;

var<workgroup> red: array<f32, WG>;
var<workgroup> wgRow: vec2<i32>; // (source, 1 when the row exists)

@compute @workgroup_size(WG)
fn gather(@builtin(local_invocation_id) l: vec3u, @builtin(workgroup_id) w: vec3u,
          @builtin(num_workgroups) n: vec3u) {
  let r = w.x + w.y * n.x;
  if (l.x == 0u) {
    let exists = r < frameRows[2u * params.frames];
    wgRow = select(vec2<i32>(0, 0), vec2<i32>(rows[r].x, 1), exists);
  }
  let row = workgroupUniformLoad(&wgRow); // the same for the whole workgroup
  if (row.y == 0) { return; }
  let i = l.x; let D = params.dim; let o = r * D;
  let src = row.x;
  if (src < 0) {
    for (var c = i; c < D; c += WG) { out[o + c] = separator[c]; }
    return;
  }
  let t = u32(src);
  let frameBase = (t / params.tokens) * params.tokens;
  if (params.method == 0u) {
    for (var c = i; c < D; c += WG) { out[o + c] = features[t * D + c]; }
    return;
  }
  let span = spans[t];
  if (params.method == 2u) {
    for (var c = i; c < D; c += WG) {
      var s = features[t * D + c];
      for (var m = 0u; m < span.y; m++) {
        let e = members[span.x + m];
        s += bitcast<f32>(e.y) * features[(frameBase + e.x) * D + c];
      }
      out[o + c] = s;
    }
    return;
  }
  // ToMe: norm-preserving mean
  var maxNorm = 0.0;
  var sq = 0.0;
  let inv = 1.0 / f32(span.y);
  for (var m = 0u; m < span.y; m++) { maxNorm = max(maxNorm, fnorm[frameBase + members[span.x + m].x]); }
  for (var c = i; c < D; c += WG) {
    var s = 0.0;
    for (var m = 0u; m < span.y; m++) { s += features[(frameBase + members[span.x + m].x) * D + c]; }
    s *= inv;
    out[o + c] = s;
    sq += s * s;
  }
  red[i] = sq;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) { if (i < s) { red[i] += red[i + s]; } workgroupBarrier(); }
  let nrm = sqrt(red[0]);
  let scale = select(1.0, maxNorm / nrm, nrm > 0.0);
  for (var c = i; c < D; c += WG) { out[o + c] *= scale; }
}
