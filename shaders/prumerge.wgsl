// includes: kvtp-common.wgsl kvtp-keys-*.wgsl
// PruMerge: keep the k_f tokens of highest importance (ties by index); each kept token t gets
// its M = min(32, N − 1) most key-cosine-similar other tokens (ties by index) as members, with
// their importances as weights; gather.wgsl then adds Σ imp_j · f_j to f_t.
// `neighbours` works on tiles of 8 kept tokens of one frame (a host-made work list: tiles start
// at keep[L + f] for frame f): each invocation holds 8 × 8 dot products in registers (8 kept
// rows × 8 candidates), so a key vector loaded serves 8 products, and keeps each row's best M
// as it goes.

@group(0) @binding(0) var<uniform> params: Params;
// [0, L): budgets k_f; [L, 2L + 1): first tile of each frame (the last entry: all tiles)
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
const ROWS: u32 = 8u;

/** A row's best M candidates so far, most similar first. */
struct Best {
  s: array<f32, MAXM>,
  v: array<u32, MAXM>,
  count: u32,
}

/** Offer candidate v with similarity s; candidates come in ascending v, so among equal
 * similarities the lower index stays first (inserted after every entry at least as similar). */
fn offer(best: ptr<function, Best>, s: f32, v: u32) {
  let M = params.neighbours;
  let count = (*best).count;
  if (M == 0u) { return; }
  if (count == M && !(s > (*best).s[M - 1u])) { return; }
  var at = min(count, M - 1u);
  while (at > 0u && (*best).s[at - 1u] < s) {
    (*best).s[at] = (*best).s[at - 1u];
    (*best).v[at] = (*best).v[at - 1u];
    at--;
  }
  (*best).s[at] = s;
  (*best).v[at] = v;
  (*best).count = min(count + 1u, M);
}

/** The frame of work-list tile `tile` (binary search of the tile starts). */
fn frameOfTile(tile: u32) -> u32 {
  var lo = 0u; var hi = params.frames; // keep[L + lo] ≤ tile < keep[L + hi]
  while (hi - lo > 1u) {
    let mid = (lo + hi) / 2u;
    if (keep[params.frames + mid] <= tile) { lo = mid; } else { hi = mid; }
  }
  return lo;
}

// (x + y·…: tile of the work list)
@compute @workgroup_size(WG)
fn neighbours(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) n: vec3u) {
  let tile = g.x + g.y * n.x * WG;
  if (tile >= params.tiles) { return; }
  let f = frameOfTile(tile);
  let N = params.tokens; let Dk = params.keyDim / VKW; let base = f * N;
  let r0 = (tile - keep[params.frames + f]) * ROWS;
  let k = keep[f];
  var t: array<u32, ROWS>;
  var rt: array<u32, ROWS>;
  var nt: array<f32, ROWS>;
  for (var i = 0u; i < ROWS; i++) {
    t[i] = kept[base + min(r0 + i, k - 1u)];
    rt[i] = (base + t[i]) * Dk;
    nt[i] = knorm[base + t[i]];
  }
  var best: array<Best, ROWS>;
  for (var v0 = 0u; v0 < N; v0 += 8u) {
    var r: array<u32, 8>;
    for (var j = 0u; j < 8u; j++) { r[j] = (base + min(v0 + j, N - 1u)) * Dk; }
    var lo0 = vec4<f32>(0.0); var hi0 = vec4<f32>(0.0);
    var lo1 = vec4<f32>(0.0); var hi1 = vec4<f32>(0.0);
    var lo2 = vec4<f32>(0.0); var hi2 = vec4<f32>(0.0);
    var lo3 = vec4<f32>(0.0); var hi3 = vec4<f32>(0.0);
    var lo4 = vec4<f32>(0.0); var hi4 = vec4<f32>(0.0);
    var lo5 = vec4<f32>(0.0); var hi5 = vec4<f32>(0.0);
    var lo6 = vec4<f32>(0.0); var hi6 = vec4<f32>(0.0);
    var lo7 = vec4<f32>(0.0); var hi7 = vec4<f32>(0.0);
    for (var c = 0u; c < Dk; c++) {
      let k0 = keys[r[0] + c]; let k1 = keys[r[1] + c]; let k2 = keys[r[2] + c]; let k3 = keys[r[3] + c];
      let k4 = keys[r[4] + c]; let k5 = keys[r[5] + c]; let k6 = keys[r[6] + c]; let k7 = keys[r[7] + c];
      var kt = keys[rt[0] + c];
      lo0 += dots4K(kt, k0, k1, k2, k3); hi0 += dots4K(kt, k4, k5, k6, k7);
      kt = keys[rt[1] + c];
      lo1 += dots4K(kt, k0, k1, k2, k3); hi1 += dots4K(kt, k4, k5, k6, k7);
      kt = keys[rt[2] + c];
      lo2 += dots4K(kt, k0, k1, k2, k3); hi2 += dots4K(kt, k4, k5, k6, k7);
      kt = keys[rt[3] + c];
      lo3 += dots4K(kt, k0, k1, k2, k3); hi3 += dots4K(kt, k4, k5, k6, k7);
      kt = keys[rt[4] + c];
      lo4 += dots4K(kt, k0, k1, k2, k3); hi4 += dots4K(kt, k4, k5, k6, k7);
      kt = keys[rt[5] + c];
      lo5 += dots4K(kt, k0, k1, k2, k3); hi5 += dots4K(kt, k4, k5, k6, k7);
      kt = keys[rt[6] + c];
      lo6 += dots4K(kt, k0, k1, k2, k3); hi6 += dots4K(kt, k4, k5, k6, k7);
      kt = keys[rt[7] + c];
      lo7 += dots4K(kt, k0, k1, k2, k3); hi7 += dots4K(kt, k4, k5, k6, k7);
    }
    let dots = array<vec4<f32>, 16>(lo0, hi0, lo1, hi1, lo2, hi2, lo3, hi3, lo4, hi4, lo5, hi5, lo6, hi6, lo7, hi7);
    for (var j = 0u; j < 8u; j++) {
      let v = v0 + j;
      if (v >= N) { break; }
      let nv = knorm[base + v];
      for (var i = 0u; i < ROWS; i++) {
        if (v != t[i]) { offer(&best[i], cosineOf(dots[2u * i + j / 4u][j % 4u], nt[i], nv), v); }
      }
    }
  }
  let M = params.neighbours;
  for (var i = 0u; i < ROWS; i++) {
    if (r0 + i >= k) { break; }
    let out = (base + t[i]) * M;
    for (var m = 0u; m < best[i].count; m++) {
      let v = best[i].v[m];
      members[out + m] = vec2<u32>(v, bitcast<u32>(importance[base + v]));
    }
  }
}
