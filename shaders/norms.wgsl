// includes: kvtp-common.wgsl kvtp-keys-*.wgsl
// Euclidean norm of every row of a [rows × width] matrix (feature and key norms), one
// invocation per row, four vectors per step; VK is the row's vector type (vec4 when the width
// allows).

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> rows: array<VK>;
@group(0) @binding(2) var<storage, read_write> norms: array<f32>;

@compute @workgroup_size(WG)
fn rowNorms(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) n: vec3u) {
  let r = g.x + g.y * n.x * WG;
  if (r >= params.frames * params.tokens) { return; }
  var s = vec4<f32>(0.0);
  let w = params.width / VKW;
  let base = r * w;
  var c = 0u;
  for (; c + 3u < w; c += 4u) {
    let x0 = rows[base + c]; let x1 = rows[base + c + 1u]; let x2 = rows[base + c + 2u]; let x3 = rows[base + c + 3u];
    s += vec4<f32>(dotK(x0, x0), dotK(x1, x1), dotK(x2, x2), dotK(x3, x3));
  }
  for (; c < w; c++) { let x = rows[base + c]; s.x += dotK(x, x); }
  norms[r] = sqrt(s.x + s.y + s.z + s.w);
}
