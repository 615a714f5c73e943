// includes: kvtp-common.wgsl kvtp-keys-*.wgsl kvtp-features-*.wgsl
// ToMe as the KVTP reference code does it (src/kvtp/reduce-cpu.ts tomeFrame), all frames at
// once, three dispatches per round. State per frame (ping-pong `stateIn` → `stateOut`):
// [count, seq_0 … seq_{count−1}], the current sequence by representative (original index);
// A = even positions, B = odd ones. `ckey` and `cval` hold each current token's key and value at
// its representative's row, `norms` their norms ([0, L·N): keys, [L·N, 2·L·N): values);
// `assign` .x maps every original token to its current representative and .y maps a
// representative to its position in the current sequence.
//   matchPairs   every B's most similar A (ties: the lower A position): each invocation holds an
//                8 × 8 block of dot products (8 B rows × 8 A rows) in registers, so a key vector
//                loaded serves 8 products; `split` invocations share a tile's A blocks and meet
//                in workgroup memory;
//   mergeRound   one workgroup per frame: choose the r most similar B (ties by position), list
//                the merges by rank, move tokens to their new representatives, and write the
//                next sequence: every A in order, then the unmerged B in order;
//   mergeValues  one invocation per (merge rank, frame), working for the first-ranked merge of
//                each A: the A row becomes the mean of the current rows of itself and its merged
//                B, rescaled to their largest value norm; the key likewise, to the same norm.
// Frames already at their budget only copy their state.

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> keep: array<u32>;
@group(0) @binding(2) var<storage, read> stateIn: array<u32>;
@group(0) @binding(3) var<storage, read_write> stateOut: array<u32>;
@group(0) @binding(4) var<storage, read_write> assign: array<vec2<i32>>;
@group(0) @binding(5) var<storage, read_write> ckey: array<VK>;
@group(0) @binding(6) var<storage, read_write> cval: array<VF>;
@group(0) @binding(7) var<storage, read_write> norms: array<f32>;
// [0, L·half): per B position (similarity bits, partner A position | MERGED);
// [L·half, 2·L·half): per frame, the merges of the round by rank: (A position, B row)
@group(0) @binding(8) var<storage, read_write> matches: array<vec2<u32>>;

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

fn keyNorm(row: u32) -> f32 {
  let Dk = params.keyDim / VKW;
  let base = row * Dk;
  var s = vec4<f32>(0.0);
  var c = 0u;
  for (; c + 3u < Dk; c += 4u) {
    let x0 = ckey[base + c]; let x1 = ckey[base + c + 1u]; let x2 = ckey[base + c + 2u]; let x3 = ckey[base + c + 3u];
    s += vec4<f32>(dotK(x0, x0), dotK(x1, x1), dotK(x2, x2), dotK(x3, x3));
  }
  for (; c < Dk; c++) { let x = ckey[base + c]; s.x += dotK(x, x); }
  return sqrt(s.x + s.y + s.z + s.w);
}

fn valueNorm(row: u32) -> f32 {
  let D = params.dim / VFW;
  let base = row * D;
  var s = vec4<f32>(0.0);
  var c = 0u;
  for (; c + 3u < D; c += 4u) {
    let x0 = cval[base + c]; let x1 = cval[base + c + 1u]; let x2 = cval[base + c + 2u]; let x3 = cval[base + c + 3u];
    s += vec4<f32>(dotF(x0, x0), dotF(x1, x1), dotF(x2, x2), dotF(x3, x3));
  }
  for (; c < D; c++) { let x = cval[base + c]; s.x += dotF(x, x); }
  return sqrt(s.x + s.y + s.z + s.w);
}

/** Offset of the value norms in `norms`. */
fn vnorms() -> u32 { return params.frames * params.tokens; }

// (x: token, y: frame): the first state and norms; frames with k = 0 keep nothing.
@compute @workgroup_size(WG)
fn init(@builtin(global_invocation_id) g: vec3u) {
  let u = g.x; let f = g.y; let N = params.tokens;
  if (u >= N) { return; }
  let empty = keep[f] == 0u;
  if (u == 0u) { stateOut[stateBase(f)] = select(N, 0u, empty); }
  stateOut[stateBase(f) + 1u + u] = u;
  assign[f * N + u] = vec2<i32>(select(i32(u), -1, empty), i32(u));
  if (!empty && keep[f] < N) {
    norms[f * N + u] = keyNorm(f * N + u);
    norms[vnorms() + f * N + u] = valueNorm(f * N + u);
  }
}

var<workgroup> bestSim: array<f32, WG * TILE>;
var<workgroup> bestPos: array<u32, WG * TILE>;

/** Row of the A token at A position a of frame f. */
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
      nb[i] = norms[row];
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
        let a0k = ckey[ra[0] + ch]; let a1k = ckey[ra[1] + ch];
        let a2k = ckey[ra[2] + ch]; let a3k = ckey[ra[3] + ch];
        let a4k = ckey[ra[4] + ch]; let a5k = ckey[ra[5] + ch];
        let a6k = ckey[ra[6] + ch]; let a7k = ckey[ra[7] + ch];
        var kb = ckey[rb[0] + ch];
        lo0 += dots4K(kb, a0k, a1k, a2k, a3k); hi0 += dots4K(kb, a4k, a5k, a6k, a7k);
        kb = ckey[rb[1] + ch];
        lo1 += dots4K(kb, a0k, a1k, a2k, a3k); hi1 += dots4K(kb, a4k, a5k, a6k, a7k);
        kb = ckey[rb[2] + ch];
        lo2 += dots4K(kb, a0k, a1k, a2k, a3k); hi2 += dots4K(kb, a4k, a5k, a6k, a7k);
        kb = ckey[rb[3] + ch];
        lo3 += dots4K(kb, a0k, a1k, a2k, a3k); hi3 += dots4K(kb, a4k, a5k, a6k, a7k);
        kb = ckey[rb[4] + ch];
        lo4 += dots4K(kb, a0k, a1k, a2k, a3k); hi4 += dots4K(kb, a4k, a5k, a6k, a7k);
        kb = ckey[rb[5] + ch];
        lo5 += dots4K(kb, a0k, a1k, a2k, a3k); hi5 += dots4K(kb, a4k, a5k, a6k, a7k);
        kb = ckey[rb[6] + ch];
        lo6 += dots4K(kb, a0k, a1k, a2k, a3k); hi6 += dots4K(kb, a4k, a5k, a6k, a7k);
        kb = ckey[rb[7] + ch];
        lo7 += dots4K(kb, a0k, a1k, a2k, a3k); hi7 += dots4K(kb, a4k, a5k, a6k, a7k);
      }
      let dots = array<vec4<f32>, 16>(lo0, hi0, lo1, hi1, lo2, hi2, lo3, hi3, lo4, hi4, lo5, hi5, lo6, hi6, lo7, hi7);
      for (var j = 0u; j < TILE; j++) {
        if (a0 + j >= nA) { break; }
        let na = norms[ra[j] / Dk];
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
        matches[merges + rank] = vec2<u32>(m.y, f * N + curAt(f, 2u * b + 1u));
      }
    }
  }
  storageBarrier();
  // every token follows a merged representative to its A
  if (r > 0u) {
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
  // the next sequence: every A in order, then the unmerged B in order (one invocation: O(count))
  if (l != 0u) { return; }
  var at = 0u;
  for (var a = 0u; a < nA; a++) {
    let rep = curAt(f, 2u * a);
    stateOut[stateBase(f) + 1u + at] = rep;
    assign[f * N + rep].y = i32(at);
    at++;
  }
  for (var b = 0u; b < nB; b++) {
    if (r > 0u && (matches[base + b].y & MERGED) != 0u) { continue; }
    let rep = curAt(f, 2u * b + 1u);
    stateOut[stateBase(f) + 1u + at] = rep;
    assign[f * N + rep].y = i32(at);
    at++;
  }
  stateOut[stateBase(f)] = at;
}

// (x: merge rank j, y: frame), one invocation each and no barriers (on a CPU-emulated GPU a
// workgroup's barriers cost more than these loops): the invocation of an A's first-ranked merge
// adds the current rows of its merged B into the A row in rank order, then rescales the sum
// (mean / |mean| = sum / |sum|) to the largest value norm among them; a zero mean stays zero.
// B rows are only read this round and each A row has one invocation, so in place is safe.
@compute @workgroup_size(WG)
fn mergeValues(@builtin(global_invocation_id) g: vec3u) {
  let j = g.x; let f = g.y;
  let r = toRemove(f);
  if (j >= r) { return; }
  let merges = params.frames * params.half + f * params.half;
  let e = matches[merges + j];
  for (var q = 0u; q < j; q++) { if (matches[merges + q].x == e.x) { return; } }
  let a = aRow(f, e.x);
  let vn = vnorms();
  let D = params.dim / VFW; let Dk = params.keyDim / VKW;
  let av = a * D; let ak = a * Dk;
  var top = norms[vn + a];
  for (var q = j; q < r; q++) {
    let o = matches[merges + q];
    if (o.x != e.x) { continue; }
    top = max(top, norms[vn + o.y]);
    let bv = o.y * D; let bk = o.y * Dk;
    for (var c = 0u; c < D; c++) { cval[av + c] += cval[bv + c]; }
    for (var c = 0u; c < Dk; c++) { ckey[ak + c] += ckey[bk + c]; }
  }
  let nv = valueNorm(a);
  let nk = keyNorm(a);
  let vs = select(0.0, top / nv, nv > 0.0);
  let ks = select(0.0, top / nk, nk > 0.0);
  for (var c = 0u; c < D; c++) { cval[av + c] *= vs; }
  for (var c = 0u; c < Dk; c++) { ckey[ak + c] *= ks; }
  norms[vn + a] = select(0.0, top, nv > 0.0);
  norms[a] = select(0.0, top, nk > 0.0);
}
