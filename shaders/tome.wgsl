// ToMe (bipartite soft matching) for all frames at once, one round per dispatch chain step.
// State per frame (ping-pong `stateIn` → `stateOut`): [count, cur_0 … cur_{N−1}], the current
// tokens by representative (original index), ascending. A = even positions, B = odd ones.
// `ksum` holds, at each representative's row, the sum of its members' keys (its direction is
// the merged key's); `assign` .x maps every original token to its current representative and
// .y maps a representative to its current position. Per round:
//   keyNorms → matchPairs (best A per B) → choose (the r most similar B) → mergeKeys → reassign →
//   compact. Frames already at their budget do nothing.

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> keep: array<u32>;
@group(0) @binding(2) var<storage, read> stateIn: array<u32>;
@group(0) @binding(3) var<storage, read_write> stateOut: array<u32>;
@group(0) @binding(4) var<storage, read_write> assign: array<vec2<i32>>;
@group(0) @binding(5) var<storage, read_write> ksum: array<VK>;
@group(0) @binding(6) var<storage, read_write> knorm: array<f32>;
// per B position: (similarity, partner A position as f32, merged 0/1 as f32)
@group(0) @binding(7) var<storage, read_write> matches: array<vec4<f32>>;

fn stateBase(f: u32) -> u32 { return f * (params.tokens + 1u); }
fn countOf(f: u32) -> u32 { return stateIn[stateBase(f)]; }
fn curAt(f: u32, p: u32) -> u32 { return stateIn[stateBase(f) + 1u + p]; }
/** Tokens this round removes from frame f: min(count − k, |B|), 0 when at the budget. */
fn toRemove(f: u32) -> u32 {
  let c = countOf(f);
  let k = keep[f];
  if (c <= k) { return 0u; }
  return min(c - k, c / 2u);
}

// (x: token, y: frame): the first state; frames with k = 0 start empty and keep nothing.
@compute @workgroup_size(WG)
fn init(@builtin(global_invocation_id) g: vec3u) {
  let u = g.x; let f = g.y; let N = params.tokens;
  if (u >= N) { return; }
  let empty = keep[f] == 0u;
  if (u == 0u) { stateOut[stateBase(f)] = select(N, 0u, empty); }
  stateOut[stateBase(f) + 1u + u] = u;
  assign[f * N + u] = vec2<i32>(select(i32(u), -1, empty), i32(u));
}

// (x: position, y: frame)
@compute @workgroup_size(WG)
fn keyNorms(@builtin(global_invocation_id) g: vec3u) {
  let p = g.x; let f = g.y;
  if (p >= countOf(f) || toRemove(f) == 0u) { return; }
  let row = f * params.tokens + curAt(f, p);
  let Dk = params.keyDim / VKW;
  var s = 0.0;
  for (var c = 0u; c < Dk; c++) { let x = ksum[row * Dk + c]; s += dotK(x, x); }
  knorm[row] = sqrt(s);
}

// (x: B position, y: frame)
@compute @workgroup_size(WG)
fn matchPairs(@builtin(global_invocation_id) g: vec3u) {
  let b = g.x; let f = g.y;
  let c = countOf(f);
  if (b >= c / 2u || toRemove(f) == 0u) { return; }
  let N = params.tokens; let Dk = params.keyDim / VKW;
  let rb = f * N + curAt(f, 2u * b + 1u);
  var best = -3.0;
  var partner = 0u;
  let nA = (c + 1u) / 2u;
  // eight A candidates per step share each load of this B token's key
  for (var a0 = 0u; a0 < nA; a0 += 8u) {
    var r: array<u32, 8>;
    for (var j = 0u; j < 8u; j++) { r[j] = (f * N + curAt(f, 2u * min(a0 + j, nA - 1u))) * Dk; }
    var lo = vec4<f32>(0.0);
    var hi = vec4<f32>(0.0);
    let rbk = rb * Dk;
    for (var ch = 0u; ch < Dk; ch++) {
      let kb = ksum[rbk + ch];
      lo += vec4<f32>(dotK(kb, ksum[r[0] + ch]), dotK(kb, ksum[r[1] + ch]), dotK(kb, ksum[r[2] + ch]), dotK(kb, ksum[r[3] + ch]));
      hi += vec4<f32>(dotK(kb, ksum[r[4] + ch]), dotK(kb, ksum[r[5] + ch]), dotK(kb, ksum[r[6] + ch]), dotK(kb, ksum[r[7] + ch]));
    }
    for (var j = 0u; j < 8u; j++) {
      if (a0 + j >= nA) { break; }
      let d = select(hi[j % 4u], lo[j % 4u], j < 4u);
      let s = cosineOf(d, knorm[rb], knorm[r[j] / Dk]);
      if (s > best) { best = s; partner = a0 + j; }
    }
  }
  matches[f * params.half + b] = vec4<f32>(best, f32(partner), 0.0, 0.0);
}

// (x: B position, y: frame): merged if among the r most similar (ties by position)
@compute @workgroup_size(WG)
fn choose(@builtin(global_invocation_id) g: vec3u) {
  let b = g.x; let f = g.y;
  let nb = countOf(f) / 2u;
  let r = toRemove(f);
  if (b >= nb || r == 0u) { return; }
  let base = f * params.half;
  let s = matches[base + b].x;
  var rank = 0u;
  for (var o = 0u; o < nb; o++) {
    let so = matches[base + o].x;
    if (so > s || (so == s && o < b)) { rank++; }
  }
  matches[base + b].z = select(0.0, 1.0, rank < r);
}

// (x: A position, y: frame): add the keys of the B tokens merged into this A
@compute @workgroup_size(WG)
fn mergeKeys(@builtin(global_invocation_id) g: vec3u) {
  let a = g.x; let f = g.y;
  let c = countOf(f);
  if (a >= (c + 1u) / 2u || toRemove(f) == 0u) { return; }
  let N = params.tokens; let Dk = params.keyDim / VKW; let base = f * params.half;
  let ra = f * N + curAt(f, 2u * a);
  for (var b = 0u; b < c / 2u; b++) {
    let m = matches[base + b];
    if (m.z > 0.5 && u32(m.y) == a) {
      let rb = f * N + curAt(f, 2u * b + 1u);
      for (var ch = 0u; ch < Dk; ch++) { ksum[ra * Dk + ch] += ksum[rb * Dk + ch]; }
    }
  }
}

// (x: original token, y: frame): follow a merged representative to its A partner
@compute @workgroup_size(WG)
fn reassign(@builtin(global_invocation_id) g: vec3u) {
  let u = g.x; let f = g.y; let N = params.tokens;
  if (u >= N || toRemove(f) == 0u) { return; }
  let rep = assign[f * N + u].x;
  if (rep < 0) { return; }
  let p = u32(assign[f * N + u32(rep)].y);
  if (p % 2u == 1u) {
    let m = matches[f * params.half + p / 2u];
    if (m.z > 0.5) { assign[f * N + u].x = i32(curAt(f, 2u * u32(m.y))); }
  }
}

// (x: position, y: frame): the next state without the merged B tokens
@compute @workgroup_size(WG)
fn compact(@builtin(global_invocation_id) g: vec3u) {
  let p = g.x; let f = g.y; let N = params.tokens;
  let c = countOf(f);
  let r = toRemove(f);
  if (p == 0u) { stateOut[stateBase(f)] = c - r; }
  if (p >= c) { return; }
  let rep = curAt(f, p);
  var removed = 0u;
  if (r > 0u) {
    let base = f * params.half;
    if (p % 2u == 1u && matches[base + p / 2u].z > 0.5) { return; }
    for (var b = 0u; 2u * b + 1u < p; b++) { if (matches[base + b].z > 0.5) { removed++; } }
  }
  stateOut[stateBase(f) + 1u + p - removed] = rep;
  assign[f * N + rep].y = i32(p - removed);
}
