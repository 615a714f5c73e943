// Per-frame budgets from scores in one workgroup (L ≤ 256 frames, one invocation each); the
// reference is src/kvtp/allocate.ts. Modes: 0 paper, 1 exact (water-filling on the log-level
// μ, then floors and +1 for the largest remainders), 2 uniform, 3 hard.

struct AllocParams {
  frames: u32,
  tokens: u32,       // N (0: paper mode without tokens, budgets not asked)
  mode: u32,
  total: u32,        // round(ρ·L·N) (exact, hard)
  minPerFrame: u32,  // effective floor (exact)
  uniformKeep: u32,  // round(ρ·N) (uniform)
  keepRatio: f32,
  temperature: f32,
}

const MAXL: u32 = 256u;

@group(0) @binding(0) var<uniform> params: AllocParams;
@group(0) @binding(1) var<storage, read> scores: array<f32>;
@group(0) @binding(2) var<storage, read_write> rates: array<f32>;
@group(0) @binding(3) var<storage, read_write> keep: array<u32>;

var<workgroup> red: array<f32, MAXL>;
var<workgroup> vals: array<f32, MAXL>;

fn sum(i: u32, v: f32) -> f32 {
  red[i] = v;
  workgroupBarrier();
  for (var s = MAXL / 2u; s > 0u; s >>= 1u) { if (i < s) { red[i] += red[i + s]; } workgroupBarrier(); }
  let r = red[0];
  workgroupBarrier();
  return r;
}

fn maximum(i: u32, v: f32) -> f32 {
  red[i] = v;
  workgroupBarrier();
  for (var s = MAXL / 2u; s > 0u; s >>= 1u) { if (i < s) { red[i] = max(red[i], red[i + s]); } workgroupBarrier(); }
  let r = red[0];
  workgroupBarrier();
  return r;
}

/** Rank of value v of frame i among all frames' `vals` (descending, ties by index), over `ok`. */
fn rankDesc(i: u32, v: f32, L: u32) -> u32 {
  var rank = 0u;
  for (var j = 0u; j < L; j++) {
    let o = vals[j];
    if (o > v || (o == v && j < i)) { rank++; }
  }
  return rank;
}

@compute @workgroup_size(MAXL)
fn allocate(@builtin(local_invocation_id) l: vec3u) {
  let i = l.x; let L = params.frames; let N = f32(params.tokens);
  let ok = i < L;
  let s = select(0.0, scores[min(i, L - 1u)], ok);
  if (params.mode == 2u) {
    if (ok) { rates[i] = params.keepRatio; keep[i] = params.uniformKeep; }
    return;
  }
  if (params.mode == 3u) {
    vals[i] = select(-3.4e38, s, ok);
    workgroupBarrier();
    if (ok) {
      let before = f32(rankDesc(i, s, L)) * N;
      let k = u32(clamp(f32(params.total) - before, 0.0, N));
      keep[i] = k;
      rates[i] = f32(k) / N;
    }
    return;
  }
  let mean = sum(i, s) / f32(L);
  let z = (s - mean) / params.temperature;
  let zmax = maximum(i, select(-3.4e38, z, ok));
  let y = select(-3.4e38, z - zmax, ok); // log-shares, max 0
  let e = select(0.0, exp(y), ok);
  let rate = f32(L) * params.keepRatio * e / sum(i, e);
  if (ok) { rates[i] = rate; }
  if (params.mode == 0u) {
    if (ok && params.tokens > 0u) { keep[i] = u32(floor(N * min(rate, 1.0))); }
    return;
  }
  // exact: bisection on μ for Σ clamp(exp(y + μ), m, N) = total
  let lo = f32(params.minPerFrame);
  let total = f32(params.total);
  var a = -104.0;
  var b = log(N) - (-maximum(i, select(-3.4e38, -y, ok))) + 1.0;
  for (var it = 0u; it < 64u; it++) {
    let mid = 0.5 * (a + b);
    let f = sum(i, select(0.0, clamp(exp(y + mid), lo, N), ok));
    if (f < total) { a = mid; } else { b = mid; }
  }
  let x = select(0.0, clamp(exp(y + b), lo, N), ok);
  let k = min(N, floor(x));
  let deficit = total - sum(i, k);
  // remainders of frames below the cap compete for the deficit
  vals[i] = select(-1.0, x - k, ok && k < N);
  workgroupBarrier();
  var extra = 0.0;
  if (ok && k < N && f32(rankDesc(i, x - k, L)) < deficit) { extra = 1.0; }
  if (ok) { keep[i] = u32(k + extra); }
}
