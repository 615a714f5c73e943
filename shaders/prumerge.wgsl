// PruMerge: keep the k_f tokens of highest importance (ties by index); each kept token t gets
// its M = min(32, N − 1) most key-cosine-similar other tokens (ties by index) as members, with
// their importances as weights; gather.wgsl then adds Σ imp_j · f_j to f_t.

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> keep: array<u32>;
@group(0) @binding(2) var<storage, read> importance: array<f32>;
@group(0) @binding(3) var<storage, read> keys: array<VK>;
@group(0) @binding(4) var<storage, read> knorm: array<f32>;
@group(0) @binding(5) var<storage, read_write> assign: array<vec2<i32>>;
// the frame's kept tokens by importance rank
@group(0) @binding(6) var<storage, read_write> kept: array<u32>;
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
  let isKept = rank < keep[f];
  assign[base + u] = vec2<i32>(select(-1, i32(u), isKept), 0);
  spans[base + u] = vec2<u32>((base + u) * params.neighbours, select(0u, params.neighbours, isKept));
  if (isKept) { kept[base + rank] = u; }
}

const MAXM: u32 = 32u;

// (x: rank among the frame's kept tokens, y: frame): the kept token's M nearest other tokens by
// key cosine, kept sorted as they are found (v ascending, so ties keep the lower index first).
// Eight candidates per step share each load of the kept token's key.
@compute @workgroup_size(WG)
fn neighbours(@builtin(global_invocation_id) g: vec3u) {
  let rank = g.x; let f = g.y; let N = params.tokens; let Dk = params.keyDim / VKW;
  if (rank >= keep[f]) { return; }
  let t = kept[f * N + rank];
  let rt = f * N + t;
  let M = params.neighbours;
  var bestS: array<f32, MAXM>;
  var bestV: array<u32, MAXM>;
  var count = 0u;
  let rtk = rt * Dk;
  for (var v0 = 0u; v0 < N; v0 += 8u) {
    var r: array<u32, 8>;
    for (var j = 0u; j < 8u; j++) { r[j] = (f * N + min(v0 + j, N - 1u)) * Dk; }
    var lo = vec4<f32>(0.0);
    var hi = vec4<f32>(0.0);
    for (var c = 0u; c < Dk; c++) {
      let kt = keys[rtk + c];
      lo += vec4<f32>(dotK(kt, keys[r[0] + c]), dotK(kt, keys[r[1] + c]), dotK(kt, keys[r[2] + c]), dotK(kt, keys[r[3] + c]));
      hi += vec4<f32>(dotK(kt, keys[r[4] + c]), dotK(kt, keys[r[5] + c]), dotK(kt, keys[r[6] + c]), dotK(kt, keys[r[7] + c]));
    }
    for (var j = 0u; j < 8u; j++) {
      let v = v0 + j;
      if (v >= N || v == t) { continue; }
      let s = cosineOf(select(hi[j % 4u], lo[j % 4u], j < 4u), knorm[rt], knorm[f * N + v]);
      if (count == M && !(s > bestS[M - 1u])) { continue; }
      // insert after every entry at least as similar
      var at = min(count, M - 1u);
      while (at > 0u && bestS[at - 1u] < s) {
        bestS[at] = bestS[at - 1u];
        bestV[at] = bestV[at - 1u];
        at--;
      }
      bestS[at] = s;
      bestV[at] = v;
      count = min(count + 1u, M);
    }
  }
  for (var m = 0u; m < count; m++) {
    let v = bestV[m];
    members[rt * M + m] = vec2<u32>(v, bitcast<u32>(importance[f * N + v]));
  }
}
