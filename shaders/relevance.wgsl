// Frame scores from embeddings, one workgroup per frame: for each question window the head's
// logit on the L2-normalized pair (u = image_i, v = text_w), then the maximum over windows.
//   kind 0: SigLIP, scale · ⟨u, v⟩ + bias
//   kind 1/2: MLP, w2 · act(W1 · [u, v, u ⊙ v] + b1) + b2 with act GELU (erf) / ReLU
// The reference is src/kvtp/scores.ts (the same erf approximation).

struct ScoreParams {
  frames: u32,
  windows: u32,
  dim: u32,
  hidden: u32,
  kind: u32,
  scale: f32,
  bias: f32,
  b2: f32,
}

override WG: u32 = 64u;

// params.kind (HeadKind in src/kvtp/gpu/layouts.ts)
const HEAD_LOGIT: u32 = 0u;
const HEAD_LEARNED_GELU: u32 = 1u;
const HEAD_LEARNED_RELU: u32 = 2u;

@group(0) @binding(0) var<uniform> params: ScoreParams;
@group(0) @binding(1) var<storage, read> image: array<f32>;
@group(0) @binding(2) var<storage, read> text: array<f32>;
@group(0) @binding(3) var<storage, read> w1: array<f32>;
@group(0) @binding(4) var<storage, read> b1: array<f32>;
@group(0) @binding(5) var<storage, read> w2: array<f32>;
@group(0) @binding(6) var<storage, read_write> scores: array<f32>;

var<workgroup> red: array<f32, WG>;

fn total(i: u32, v: f32) -> f32 {
  red[i] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) { if (i < s) { red[i] += red[i + s]; } workgroupBarrier(); }
  let r = red[0];
  workgroupBarrier();
  return r;
}

fn erf(x: f32) -> f32 {
  let a = abs(x);
  let t = 1.0 / (1.0 + 0.3275911 * a);
  let y = 1.0 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t
    + 0.254829592) * t * exp(-a * a);
  return sign(x) * y;
}

fn act(x: f32) -> f32 {
  if (params.kind == HEAD_LEARNED_GELU) { return 0.5 * x * (1.0 + erf(x * 0.70710678118654752)); }
  return max(x, 0.0);
}

fn invNorm(n2: f32) -> f32 { return select(0.0, inverseSqrt(n2), n2 > 0.0); }

@compute @workgroup_size(WG)
fn scoreFrames(@builtin(local_invocation_id) l: vec3u, @builtin(workgroup_id) w: vec3u) {
  let f = w.x; let i = l.x; let E = params.dim;
  var uu = 0.0;
  for (var c = i; c < E; c += WG) { let x = image[f * E + c]; uu += x * x; }
  let iu = invNorm(total(i, uu));
  var best = -3.4e38;
  for (var win = 0u; win < params.windows; win++) {
    let tb = win * E;
    var vv = 0.0;
    var uv = 0.0;
    for (var c = i; c < E; c += WG) { let v = text[tb + c]; vv += v * v; uv += image[f * E + c] * v; }
    let iv = invNorm(total(i, vv));
    var logit = 0.0;
    if (params.kind == HEAD_LOGIT) {
      logit = params.scale * total(i, uv) * iu * iv + params.bias;
    } else {
      var part = 0.0;
      for (var j = i; j < params.hidden; j += WG) {
        let row = j * 3u * E;
        var a = b1[j];
        for (var c = 0u; c < E; c++) {
          let u = image[f * E + c] * iu;
          let v = text[tb + c] * iv;
          a += w1[row + c] * u + w1[row + E + c] * v + w1[row + 2u * E + c] * u * v;
        }
        part += w2[j] * act(a);
      }
      logit = total(i, part) + params.b2;
    }
    best = max(best, logit);
  }
  if (i == 0u) { scores[f] = best; }
}
