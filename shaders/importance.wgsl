// includes: kvtp-common.wgsl kvtp-keys-*.wgsl
// PruMerge importance without CLS attention: per frame softmax_j(⟨mean of keys, k_j⟩ / √Dk).
// Three steps: the mean key of each frame, the logits (with each key's norm, which PruMerge's
// cosines need, from the same loads), then a softmax per frame. Loops take four vectors a step.

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> keys: array<VK>;
@group(0) @binding(2) var<storage, read_write> meanKey: array<VK>;
@group(0) @binding(3) var<storage, read_write> importance: array<f32>;
@group(0) @binding(4) var<storage, read_write> knorm: array<f32>;

// (x: channel, y: frame)
@compute @workgroup_size(WG)
fn meanKeys(@builtin(global_invocation_id) g: vec3u) {
  let c = g.x; let f = g.y; let Dk = params.keyDim / VKW; let N = params.tokens;
  if (c >= Dk) { return; }
  var s0 = VK(0.0); var s1 = VK(0.0); var s2 = VK(0.0); var s3 = VK(0.0);
  let base = f * N * Dk + c;
  var j = 0u;
  for (; j + 3u < N; j += 4u) {
    s0 += keys[base + j * Dk]; s1 += keys[base + (j + 1u) * Dk];
    s2 += keys[base + (j + 2u) * Dk]; s3 += keys[base + (j + 3u) * Dk];
  }
  for (; j < N; j++) { s0 += keys[base + j * Dk]; }
  meanKey[f * Dk + c] = (s0 + s1 + s2 + s3) / f32(N);
}

// (x: token, y: frame)
@compute @workgroup_size(WG)
fn logits(@builtin(global_invocation_id) g: vec3u) {
  let j = g.x; let f = g.y;
  if (j >= params.tokens) { return; }
  let Dk = params.keyDim / VKW;
  let base = (f * params.tokens + j) * Dk;
  let m = f * Dk;
  var s = vec4<f32>(0.0);
  var q = vec4<f32>(0.0);
  var c = 0u;
  for (; c + 3u < Dk; c += 4u) {
    let k0 = keys[base + c]; let k1 = keys[base + c + 1u]; let k2 = keys[base + c + 2u]; let k3 = keys[base + c + 3u];
    s += vec4<f32>(dotK(k0, meanKey[m + c]), dotK(k1, meanKey[m + c + 1u]),
                   dotK(k2, meanKey[m + c + 2u]), dotK(k3, meanKey[m + c + 3u]));
    q += vec4<f32>(dotK(k0, k0), dotK(k1, k1), dotK(k2, k2), dotK(k3, k3));
  }
  for (; c < Dk; c++) { let k = keys[base + c]; s.x += dotK(k, meanKey[m + c]); q.x += dotK(k, k); }
  importance[f * params.tokens + j] = (s.x + s.y + s.z + s.w) / sqrt(f32(params.keyDim));
  knorm[f * params.tokens + j] = sqrt(q.x + q.y + q.z + q.w);
}

var<workgroup> red: array<f32, WG>;

// one workgroup per frame (y)
@compute @workgroup_size(WG)
fn softmax(@builtin(local_invocation_id) l: vec3u, @builtin(workgroup_id) w: vec3u) {
  let f = w.y; let i = l.x; let base = f * params.tokens;
  var m = -3.4e38;
  for (var j = i; j < params.tokens; j += WG) { m = max(m, importance[base + j]); }
  red[i] = m;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) { if (i < s) { red[i] = max(red[i], red[i + s]); } workgroupBarrier(); }
  let mx = red[0];
  workgroupBarrier();
  var t = 0.0;
  for (var j = i; j < params.tokens; j += WG) { t += exp(importance[base + j] - mx); }
  red[i] = t;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) { if (i < s) { red[i] += red[i + s]; } workgroupBarrier(); }
  let total = red[0];
  for (var j = i; j < params.tokens; j += WG) { importance[base + j] = exp(importance[base + j] - mx) / total; }
}
