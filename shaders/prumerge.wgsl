// PruMerge: keep the k_f tokens of highest importance (ties by index); each kept token t gets
// its M = min(32, N − 1) most key-cosine-similar other tokens (ties by index) as members, with
// their importances as weights; gather.wgsl then adds Σ imp_j · f_j to f_t.

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> keep: array<u32>;
@group(0) @binding(2) var<storage, read> importance: array<f32>;
@group(0) @binding(3) var<storage, read> keys: array<VK>;
@group(0) @binding(4) var<storage, read> knorm: array<f32>;
@group(0) @binding(5) var<storage, read_write> assign: array<vec2<i32>>;
@group(0) @binding(6) var<storage, read_write> sim: array<f32>;
// member list entries (token, bitcast weight); spans (start, count) per kept token
@group(0) @binding(7) var<storage, read_write> members: array<vec2<u32>>;
@group(0) @binding(8) var<storage, read_write> spans: array<vec2<u32>>;

// (x: token, y: frame)
@compute @workgroup_size(WG)
fn selectTop(@builtin(global_invocation_id) g: vec3u) {
  let u = g.x; let f = g.y; let N = params.tokens;
  if (u >= N) { return; }
  let base = f * N;
  let iu = importance[base + u];
  var rank = 0u;
  for (var v = 0u; v < N; v++) {
    let iv = importance[base + v];
    if (iv > iu || (iv == iu && v < u)) { rank++; }
  }
  let kept = rank < keep[f];
  assign[base + u] = vec2<i32>(select(-1, i32(u), kept), 0);
  spans[base + u] = vec2<u32>((base + u) * params.neighbours, select(0u, params.neighbours, kept));
}

// (x: other token v, y: kept token t, z: frame)
@compute @workgroup_size(WG)
fn similarity(@builtin(global_invocation_id) g: vec3u) {
  let v = g.x; let t = g.y; let f = g.z; let N = params.tokens; let Dk = params.keyDim / VKW;
  if (v >= N || assign[f * N + t].x < 0) { return; }
  let rt = f * N + t; let rv = f * N + v;
  var s = -4.0; // the token itself is never its own neighbour
  if (v != t) {
    var d = 0.0;
    for (var c = 0u; c < Dk; c++) { d += dotK(keys[rt * Dk + c], keys[rv * Dk + c]); }
    s = cosineOf(d, knorm[rt], knorm[rv]);
  }
  sim[rt * N + v] = s;
}

// (x: other token v, y: kept token t, z: frame)
@compute @workgroup_size(WG)
fn neighbours(@builtin(global_invocation_id) g: vec3u) {
  let v = g.x; let t = g.y; let f = g.z; let N = params.tokens;
  if (v >= N || v == t || assign[f * N + t].x < 0) { return; }
  let row = (f * N + t) * N;
  let s = sim[row + v];
  var rank = 0u;
  for (var o = 0u; o < N; o++) {
    let so = sim[row + o];
    if (o != t && (so > s || (so == s && o < v))) { rank++; }
  }
  if (rank < params.neighbours) {
    members[(f * N + t) * params.neighbours + rank] = vec2<u32>(v, bitcast<u32>(importance[f * N + v]));
  }
}
