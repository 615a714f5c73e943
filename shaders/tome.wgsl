// ToMe (bipartite soft matching) for all frames at once, two dispatches per round.
// State per frame (ping-pong `stateIn` → `stateOut`): [count, cur_0 … cur_{N−1}], the current
// tokens by representative (original index), ascending. A = even positions, B = odd ones.
// `ksum` holds, at each representative's row, the sum of its members' keys (its direction is
// the merged key's), `knorm` its norm; `assign` .x maps every original token to its current
// representative and .y maps a representative to its current position.
//   matchPairs  every B's most similar A: each invocation holds an 8 × 8 block of dot products
//               (8 B rows × 8 A rows) in registers, so a key vector loaded serves 8 products;
//               `split` invocations share a tile's A blocks and meet in workgroup memory;
//   mergeRound  one workgroup per frame: choose the r most similar B (ties by position), add
//               their keys into their A (invocations over channels, in rank order as the
//               reference), renew the norms of A rows that took merges, move tokens to their
//               new representatives, and compact the state.
// Frames already at their budget only copy their state.

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> keep: array<u32>;
@group(0) @binding(2) var<storage, read> stateIn: array<u32>;
@group(0) @binding(3) var<storage, read_write> stateOut: array<u32>;
@group(0) @binding(4) var<storage, read_write> assign: array<vec2<i32>>;
@group(0) @binding(5) var<storage, read_write> ksum: array<VK>;
@group(0) @binding(6) var<storage, read_write> knorm: array<f32>;
// [0, L·half): per B position (similarity bits, partner A position | MERGED);
// [L·half, 2·L·half): per frame, the merges of the round by rank: (A row, B row)
@group(0) @binding(7) var<storage, read_write> matches: array<vec2<u32>>;

const MERGED: u32 = 0x80000000u;
const TILE: u32 = 8u;

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

fn rowNorm(row: u32) -> f32 {
  let Dk = params.keyDim / VKW;
  let base = row * Dk;
  var s = vec4<f32>(0.0);
  var c = 0u;
  for (; c + 3u < Dk; c += 4u) {
    let x0 = ksum[base + c]; let x1 = ksum[base + c + 1u]; let x2 = ksum[base + c + 2u]; let x3 = ksum[base + c + 3u];
    s += vec4<f32>(dotK(x0, x0), dotK(x1, x1), dotK(x2, x2), dotK(x3, x3));
  }
  for (; c < Dk; c++) { let x = ksum[base + c]; s.x += dotK(x, x); }
  return sqrt(s.x + s.y + s.z + s.w);
}

// (x: token, y: frame): the first state and key norms; frames with k = 0 keep nothing.
@compute @workgroup_size(WG)
fn init(@builtin(global_invocation_id) g: vec3u) {
  let u = g.x; let f = g.y; let N = params.tokens;
  if (u >= N) { return; }
  let empty = keep[f] == 0u;
  if (u == 0u) { stateOut[stateBase(f)] = select(N, 0u, empty); }
  stateOut[stateBase(f) + 1u + u] = u;
  assign[f * N + u] = vec2<i32>(select(i32(u), -1, empty), i32(u));
  if (!empty && keep[f] < N) { knorm[f * N + u] = rowNorm(f * N + u); }
}

var<workgroup> bestSim: array<f32, WG * TILE>;
var<workgroup> bestPos: array<u32, WG * TILE>;

/** ksum row (times the row width) of the A token at A position a of frame f. */
fn aRow(f: u32, a: u32) -> u32 { return f * params.tokens + curAt(f, 2u * a); }

// workgroup (x: group of WG / split tiles, y: frame); invocation l: tile l / split, part l % split
@compute @workgroup_size(WG)
fn matchPairs(@builtin(local_invocation_index) l: u32, @builtin(workgroup_id) w: vec3u) {
  let f = w.y; let S = params.split;
  let tile = w.x * (WG / S) + l / S;
  let part = l % S;
  let c = countOf(f);
  let nB = c / 2u; let nA = (c + 1u) / 2u;
  let b0 = tile * TILE;
  let working = toRemove(f) > 0u && b0 < nB;
  let N = params.tokens; let Dk = params.keyDim / VKW;
  var best = array<f32, TILE>(-3.0, -3.0, -3.0, -3.0, -3.0, -3.0, -3.0, -3.0);
  var pos: array<u32, TILE>;
  if (working) {
    var rb: array<u32, TILE>;
    var nb: array<f32, TILE>;
    for (var i = 0u; i < TILE; i++) {
      let row = f * N + curAt(f, 2u * min(b0 + i, nB - 1u) + 1u);
      rb[i] = row * Dk;
      nb[i] = knorm[row];
    }
    for (var a0 = part * TILE; a0 < nA; a0 += TILE * S) {
      var ra: array<u32, TILE>;
      for (var j = 0u; j < TILE; j++) { ra[j] = aRow(f, min(a0 + j, nA - 1u)) * Dk; }
      var lo0 = vec4<f32>(0.0); var hi0 = vec4<f32>(0.0);
      var lo1 = vec4<f32>(0.0); var hi1 = vec4<f32>(0.0);
      var lo2 = vec4<f32>(0.0); var hi2 = vec4<f32>(0.0);
      var lo3 = vec4<f32>(0.0); var hi3 = vec4<f32>(0.0);
      var lo4 = vec4<f32>(0.0); var hi4 = vec4<f32>(0.0);
      var lo5 = vec4<f32>(0.0); var hi5 = vec4<f32>(0.0);
      var lo6 = vec4<f32>(0.0); var hi6 = vec4<f32>(0.0);
      var lo7 = vec4<f32>(0.0); var hi7 = vec4<f32>(0.0);
      for (var ch = 0u; ch < Dk; ch++) {
        let a0k = ksum[ra[0] + ch]; let a1k = ksum[ra[1] + ch];
        let a2k = ksum[ra[2] + ch]; let a3k = ksum[ra[3] + ch];
        let a4k = ksum[ra[4] + ch]; let a5k = ksum[ra[5] + ch];
        let a6k = ksum[ra[6] + ch]; let a7k = ksum[ra[7] + ch];
        var kb = ksum[rb[0] + ch];
        lo0 += dots4K(kb, a0k, a1k, a2k, a3k); hi0 += dots4K(kb, a4k, a5k, a6k, a7k);
        kb = ksum[rb[1] + ch];
        lo1 += dots4K(kb, a0k, a1k, a2k, a3k); hi1 += dots4K(kb, a4k, a5k, a6k, a7k);
        kb = ksum[rb[2] + ch];
        lo2 += dots4K(kb, a0k, a1k, a2k, a3k); hi2 += dots4K(kb, a4k, a5k, a6k, a7k);
        kb = ksum[rb[3] + ch];
        lo3 += dots4K(kb, a0k, a1k, a2k, a3k); hi3 += dots4K(kb, a4k, a5k, a6k, a7k);
        kb = ksum[rb[4] + ch];
        lo4 += dots4K(kb, a0k, a1k, a2k, a3k); hi4 += dots4K(kb, a4k, a5k, a6k, a7k);
        kb = ksum[rb[5] + ch];
        lo5 += dots4K(kb, a0k, a1k, a2k, a3k); hi5 += dots4K(kb, a4k, a5k, a6k, a7k);
        kb = ksum[rb[6] + ch];
        lo6 += dots4K(kb, a0k, a1k, a2k, a3k); hi6 += dots4K(kb, a4k, a5k, a6k, a7k);
        kb = ksum[rb[7] + ch];
        lo7 += dots4K(kb, a0k, a1k, a2k, a3k); hi7 += dots4K(kb, a4k, a5k, a6k, a7k);
      }
      let dots = array<vec4<f32>, 16>(lo0, hi0, lo1, hi1, lo2, hi2, lo3, hi3, lo4, hi4, lo5, hi5, lo6, hi6, lo7, hi7);
      for (var j = 0u; j < TILE; j++) {
        if (a0 + j >= nA) { break; }
        let na = knorm[ra[j] / Dk];
        for (var i = 0u; i < TILE; i++) {
          let s = cosineOf(dots[2u * i + j / 4u][j % 4u], nb[i], na);
          if (s > best[i]) { best[i] = s; pos[i] = a0 + j; }
        }
      }
    }
  }
  for (var i = 0u; i < TILE; i++) { bestSim[l * TILE + i] = best[i]; bestPos[l * TILE + i] = pos[i]; }
  workgroupBarrier();
  if (!working || part != 0u) { return; }
  for (var i = 0u; i < TILE; i++) {
    if (b0 + i >= nB) { break; }
    var s = best[i];
    var p = pos[i];
    for (var q = 1u; q < S; q++) {
      let o = bestSim[(l + q) * TILE + i];
      let op = bestPos[(l + q) * TILE + i];
      if (o > s || (o == s && op < p)) { s = o; p = op; }
    }
    matches[f * params.half + b0 + i] = vec2<u32>(bitcast<u32>(s), p);
  }
}

// one workgroup per frame (x)
@compute @workgroup_size(WG)
fn mergeRound(@builtin(local_invocation_index) l: u32, @builtin(workgroup_id) w: vec3u) {
  let f = w.x; let N = params.tokens;
  let c = countOf(f);
  let r = toRemove(f);
  let nB = c / 2u; let nA = (c + 1u) / 2u;
  let base = f * params.half;
  let merges = params.frames * params.half + base;
  // choose: merged if among the r most similar B (ties by position); the merge list by rank
  if (r > 0u) {
    for (var b = l; b < nB; b += WG) {
      let m = matches[base + b];
      let s = bitcast<f32>(m.x);
      var rank = 0u;
      for (var o = 0u; o < nB; o++) {
        let so = bitcast<f32>(matches[base + o].x);
        if (so > s || (so == s && o < b)) { rank++; }
      }
      if (rank < r) {
        matches[base + b].y = m.y | MERGED;
        matches[merges + rank] = vec2<u32>(aRow(f, m.y), f * N + curAt(f, 2u * b + 1u));
      }
    }
  }
  storageBarrier();
  // add the merged B keys into their A in rank order, each invocation four channels at a time
  if (r > 0u) {
    let Dk = params.keyDim / VKW;
    for (var ch = 4u * l; ch < Dk; ch += 4u * WG) {
      if (ch + 3u < Dk) {
        for (var j = 0u; j < r; j++) {
          let e = matches[merges + j];
          let a = e.x * Dk + ch; let b = e.y * Dk + ch;
          ksum[a] += ksum[b]; ksum[a + 1u] += ksum[b + 1u];
          ksum[a + 2u] += ksum[b + 2u]; ksum[a + 3u] += ksum[b + 3u];
        }
      } else {
        for (var j = 0u; j < r; j++) {
          let e = matches[merges + j];
          for (var c = ch; c < Dk; c++) { ksum[e.x * Dk + c] += ksum[e.y * Dk + c]; }
        }
      }
    }
    if (l == 0u) { for (var j = 0u; j < r; j++) { knorm[matches[merges + j].x] = -1.0; } }
  }
  storageBarrier();
  if (r > 0u) {
    // new norms of the A rows that took merges
    for (var a = l; a < nA; a += WG) {
      let row = aRow(f, a);
      if (knorm[row] < 0.0) { knorm[row] = rowNorm(row); }
    }
    // every token follows a merged representative to its A
    for (var u = l; u < N; u += WG) {
      let rep = assign[f * N + u].x;
      if (rep < 0) { continue; }
      let p = u32(assign[f * N + u32(rep)].y);
      if (p % 2u == 1u) {
        let m = matches[base + p / 2u].y;
        if ((m & MERGED) != 0u) { assign[f * N + u].x = i32(curAt(f, 2u * (m & ~MERGED))); }
      }
    }
  }
  storageBarrier();
  // the next state without the merged B tokens (one invocation: O(count), no scan)
  if (l != 0u) { return; }
  var at = 0u;
  for (var p = 0u; p < c; p++) {
    if (r > 0u && p % 2u == 1u && (matches[base + p / 2u].y & MERGED) != 0u) { continue; }
    let rep = curAt(f, p);
    stateOut[stateBase(f) + 1u + at] = rep;
    assign[f * N + rep].y = i32(at);
    at++;
  }
  stateOut[stateBase(f)] = at;
}
