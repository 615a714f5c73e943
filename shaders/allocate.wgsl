// Per-frame budgets from scores in one workgroup of WG invocations, each looping over frames
// i, i + WG, i + 2·WG, … so that any number of frames works; the reference is
// src/kvtp/allocate.ts. Modes (MODE_*): paper (floor with the reference's PAPER_SNAP slack; for
// ToMe, N − floor(N·(1 − r)), at least 1), exact (water-filling on the log-level μ, then floors
// and +1 for the largest remainders), uniform, hard. Ranking frames (hard: by score; exact: by
// remainder) is O(L²/WG) per invocation.

struct AllocParams {
  frames: u32,
  tokens: u32,       // N (0: paper mode without tokens, budgets not asked)
  mode: u32,
  total: u32,        // round(ρ·L·N) (exact, hard)
  minPerFrame: u32,  // effective floor (exact)
  uniformKeep: u32,  // round(ρ·N) (uniform)
  keepRatio: f32,
  temperature: f32,
  snap: f32,         // PAPER_SNAP
  tomePaper: u32,    // 1: paper budgets for ToMe
}

override WG: u32 = 256u;

// params.mode (AllocationModeCode in src/kvtp/gpu/layouts.ts)
const MODE_PAPER: u32 = 0u;
const MODE_EXACT: u32 = 1u;
const MODE_UNIFORM: u32 = 2u;
const MODE_HARD: u32 = 3u;

@group(0) @binding(0) var<uniform> params: AllocParams;
@group(0) @binding(1) var<storage, read> scores: array<f32>;
@group(0) @binding(2) var<storage, read_write> rates: array<f32>;
@group(0) @binding(3) var<storage, read_write> keep: array<u32>;
// [L] the values frames are ranked by (exact: remainders of frames below the cap, else −1)
@group(0) @binding(4) var<storage, read_write> work: array<f32>;

var<workgroup> red: array<f32, WG>;

const LOWEST: f32 = -3.4e38;

fn sum(i: u32, v: f32) -> f32 {
  red[i] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) { if (i < s) { red[i] += red[i + s]; } workgroupBarrier(); }
  let r = red[0];
  workgroupBarrier();
  return r;
}

fn maximum(i: u32, v: f32) -> f32 {
  red[i] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) { if (i < s) { red[i] = max(red[i], red[i + s]); } workgroupBarrier(); }
  let r = red[0];
  workgroupBarrier();
  return r;
}

/** Rank of frame i with value v among `values` of all L frames (descending, ties by index). */
fn rankDesc(i: u32, v: f32, L: u32, fromScores: bool) -> u32 {
  var rank = 0u;
  for (var j = 0u; j < L; j++) {
    let o = select(work[j], scores[j], fromScores);
    if (o > v || (o == v && j < i)) { rank++; }
  }
  return rank;
}

/** Log-share y_i = (s_i − mean)/T − max_j (s_j − mean)/T (the maximum is 0). */
fn logShare(i: u32, mean: f32, zmax: f32) -> f32 {
  return (scores[i] - mean) / params.temperature - zmax;
}

@compute @workgroup_size(WG)
fn allocate(@builtin(local_invocation_id) l: vec3u) {
  let t = l.x; let L = params.frames; let N = f32(params.tokens);
  if (params.mode == MODE_UNIFORM) {
    for (var i = t; i < L; i += WG) { rates[i] = params.keepRatio; keep[i] = params.uniformKeep; }
    return;
  }
  if (params.mode == MODE_HARD) {
    for (var i = t; i < L; i += WG) {
      let before = f32(rankDesc(i, scores[i], L, true)) * N;
      let k = u32(clamp(f32(params.total) - before, 0.0, N));
      keep[i] = k;
      rates[i] = f32(k) / N;
    }
    return;
  }
  var part = 0.0;
  for (var i = t; i < L; i += WG) { part += scores[i]; }
  let mean = sum(t, part) / f32(L);
  var zm = LOWEST;
  for (var i = t; i < L; i += WG) { zm = max(zm, (scores[i] - mean) / params.temperature); }
  let zmax = maximum(t, zm);
  part = 0.0;
  for (var i = t; i < L; i += WG) { part += exp(logShare(i, mean, zmax)); }
  let esum = sum(t, part);
  var ymin = 0.0;
  for (var i = t; i < L; i += WG) {
    let y = logShare(i, mean, zmax);
    let rate = f32(L) * params.keepRatio * exp(y) / esum;
    rates[i] = rate;
    ymin = min(ymin, y);
    if (params.mode == MODE_PAPER && params.tokens > 0u) {
      if (params.tomePaper == 1u) {
        let x = N * max(0.0, 1.0 - rate);
        keep[i] = u32(N - min(N - 1.0, floor(x + params.snap * max(1.0, x))));
      } else {
        let x = N * min(rate, 1.0);
        keep[i] = u32(min(N, floor(x + params.snap * max(1.0, x))));
      }
    }
  }
  if (params.mode == MODE_PAPER) { return; }
  // exact: bisection on μ for Σ clamp(exp(y + μ), m, N) = total
  let lo = f32(params.minPerFrame);
  let total = f32(params.total);
  var a = -104.0;
  var b = log(N) + maximum(t, -ymin) + 1.0; // log N − min y + 1, as the reference
  for (var it = 0u; it < 64u; it++) {
    let mid = 0.5 * (a + b);
    part = 0.0;
    for (var i = t; i < L; i += WG) { part += clamp(exp(logShare(i, mean, zmax) + mid), lo, N); }
    if (sum(t, part) < total) { a = mid; } else { b = mid; }
  }
  part = 0.0;
  for (var i = t; i < L; i += WG) {
    let x = clamp(exp(logShare(i, mean, zmax) + b), lo, N);
    let k = min(N, floor(x));
    part += k;
    // remainders of frames below the cap compete for the deficit
    work[i] = select(-1.0, x - k, k < N);
  }
  let deficit = total - sum(t, part);
  storageBarrier();
  for (var i = t; i < L; i += WG) {
    let x = clamp(exp(logShare(i, mean, zmax) + b), lo, N);
    let k = min(N, floor(x));
    var extra = 0.0;
    if (k < N && f32(rankDesc(i, x - k, L, false)) < deficit) { extra = 1.0; }
    keep[i] = u32(k + extra);
  }
}
