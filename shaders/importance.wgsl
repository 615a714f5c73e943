// PruMerge importance without CLS attention: per frame softmax_j(⟨mean of keys, k_j⟩ / √Dk).
// Three steps: the mean key of each frame, the logits, then a softmax per frame.

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> keys: array<VK>;
@group(0) @binding(2) var<storage, read_write> meanKey: array<VK>;
@group(0) @binding(3) var<storage, read_write> importance: array<f32>;

// (x: channel, y: frame)
@compute @workgroup_size(WG)
fn meanKeys(@builtin(global_invocation_id) g: vec3u) {
  let c = g.x; let f = g.y; let Dk = params.keyDim / VKW;
  if (c >= Dk) { return; }
  var s = VK(0.0);
  for (var j = 0u; j < params.tokens; j++) { s += keys[(f * params.tokens + j) * Dk + c]; }
  meanKey[f * Dk + c] = s / f32(params.tokens);
}

// (x: token, y: frame)
@compute @workgroup_size(WG)
fn logits(@builtin(global_invocation_id) g: vec3u) {
  let j = g.x; let f = g.y;
  if (j >= params.tokens) { return; }
  var s = 0.0;
  let Dk = params.keyDim / VKW;
  let base = (f * params.tokens + j) * Dk;
  for (var c = 0u; c < Dk; c++) { s += dotK(meanKey[f * Dk + c], keys[base + c]); }
  importance[f * params.tokens + j] = s / sqrt(f32(params.keyDim));
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
