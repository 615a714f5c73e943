// includes: kvtp-common.wgsl kvtp-features-*.wgsl
// Random reduction in one pass, one workgroup per frame: frame f keeps the k_f tokens with the
// smallest (hash(seed, f, u), u); `none` is the same with k_f = N. The hash is
// src/kvtp/reduce-cpu.ts' pcgHash. Steps, with a barrier between each:
//   1. the cut: the invocation that finds the token of rank k − 1 publishes it (ranks by
//      counting, eight tokens per pass over the frame); a token is kept when (hash, index) ≤
//      the cut's;
//   2. positions in grid order: each invocation counts a contiguous chunk, invocation 0 scans the
//      counts; `assign` gets (token or −1, position);
//   3. rows and the kept features go straight to the gathered output, at the frame offsets the
//      host computed from the budgets (no layout or gather pass).

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> keep: array<u32>;
@group(0) @binding(2) var<storage, read> frameRows: array<u32>;
@group(0) @binding(3) var<storage, read> features: array<VF>;
@group(0) @binding(4) var<storage, read_write> assign: array<vec2<i32>>;
@group(0) @binding(5) var<storage, read_write> rows: array<vec2<i32>>;
@group(0) @binding(6) var<storage, read_write> out: array<VF>;

var<workgroup> cut: u32;
var<workgroup> chunkStart: array<u32, WG>;

fn pcg(v: u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}

/** (hash, index) of a ranks before b's. */
fn before(ha: u32, a: u32, hb: u32, b: u32) -> bool { return ha < hb || (ha == hb && a < b); }

// one workgroup per frame (x)
@compute @workgroup_size(WG)
fn randomReduce(@builtin(local_invocation_index) l: u32, @builtin(workgroup_id) w: vec3u) {
  let f = w.x; let N = params.tokens;
  let k = min(keep[f], N);
  let frameKey = pcg(pcg(params.seed) + f);
  let partial = k > 0u && k < N;
  // contiguous chunks of a multiple of eight tokens (the rank loop's width)
  let chunk = ((N + WG - 1u) / WG + 7u) / 8u * 8u;
  let lo = min(l * chunk, N);
  let hi = min(lo + chunk, N);
  if (partial) {
    // ranks of this invocation's tokens, eight at a time: each hash of v serves eight compares
    for (var u0 = lo; u0 < hi; u0 += 8u) {
      let ua = vec4<u32>(u0, u0 + 1u, u0 + 2u, u0 + 3u);
      let ub = ua + vec4<u32>(4u);
      let ha = vec4<u32>(pcg(frameKey + ua.x), pcg(frameKey + ua.y), pcg(frameKey + ua.z), pcg(frameKey + ua.w));
      let hb = vec4<u32>(pcg(frameKey + ub.x), pcg(frameKey + ub.y), pcg(frameKey + ub.z), pcg(frameKey + ub.w));
      var ra = vec4<u32>(0u);
      var rb = vec4<u32>(0u);
      for (var v = 0u; v < N; v++) {
        let hv = vec4<u32>(pcg(frameKey + v));
        let vv = vec4<u32>(v);
        ra += select(vec4<u32>(0u), vec4<u32>(1u), (hv < ha) | ((hv == ha) & (vv < ua)));
        rb += select(vec4<u32>(0u), vec4<u32>(1u), (hv < hb) | ((hv == hb) & (vv < ub)));
      }
      for (var j = 0u; j < 8u; j++) {
        let rank = select(rb[j % 4u], ra[j % 4u], j < 4u);
        if (u0 + j < hi && rank == k - 1u) { cut = u0 + j; }
      }
    }
  }
  workgroupBarrier();
  let c = cut;
  let hc = pcg(frameKey + c);
  var n = 0u;
  for (var u = lo; u < hi; u++) {
    if (k >= N || (partial && !before(hc, c, pcg(frameKey + u), u))) { n++; }
  }
  chunkStart[l] = n;
  workgroupBarrier();
  if (l == 0u) {
    var at = 0u;
    for (var j = 0u; j < WG; j++) { let m = chunkStart[j]; chunkStart[j] = at; at += m; }
  }
  workgroupBarrier();
  var pos = chunkStart[l];
  let offset = frameRows[params.frames + f];
  for (var u = lo; u < hi; u++) {
    let kept = k >= N || (partial && !before(hc, c, pcg(frameKey + u), u));
    assign[f * N + u] = vec2<i32>(select(-1, i32(u), kept), i32(pos));
    if (kept) {
      rows[offset + pos] = vec2<i32>(i32(f * N + u), i32(f));
      pos++;
    }
  }
  storageBarrier();
  // one invocation per row, its vectors in order: on a CPU-emulated GPU this beats invocations
  // over channels by 2.5× (an invocation's loop start costs as much as its loads)
  let D = params.dim / VFW;
  for (var p = l; p < k; p += WG) {
    let src = u32(rows[offset + p].x) * D;
    let o = (offset + p) * D;
    var ch = 0u;
    for (; ch + 3u < D; ch += 4u) {
      let a = features[src + ch]; let b = features[src + ch + 1u];
      let c = features[src + ch + 2u]; let d = features[src + ch + 3u];
      out[o + ch] = a; out[o + ch + 1u] = b; out[o + ch + 2u] = c; out[o + ch + 3u] = d;
    }
    for (; ch < D; ch++) { out[o + ch] = features[src + ch]; }
  }
}
