// Euclidean norm of every row of a [rows × width] matrix (feature and key norms); VK is the
// row's vector type (vec4 when the width allows).

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> rows: array<VK>;
@group(0) @binding(2) var<storage, read_write> norms: array<f32>;

@compute @workgroup_size(WG)
fn rowNorms(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) n: vec3u) {
  let r = g.x + g.y * n.x * WG;
  if (r >= params.frames * params.tokens) { return; }
  var s = 0.0;
  let w = params.width / VKW;
  let base = r * w;
  for (var c = 0u; c < w; c++) { let x = rows[base + c]; s += dotK(x, x); }
  norms[r] = sqrt(s);
}
