// Splice: kept vision tokens into the prompt's embedding rows where their image placeholders
// are. Row j of `kept` goes to row positions[j] of `embeds`; every other row is left as the token
// embedding wrote it. Must match src/vlm/splice.ts (spliceCpu).

struct Params {
  rows: u32,  // kept tokens to place
  dim: u32,   // embedding width
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> kept: array<f32>;
@group(0) @binding(2) var<storage, read> positions: array<u32>;
@group(0) @binding(3) var<storage, read_write> embeds: array<f32>;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn splice(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) n: vec3u) {
  // x: channel, y (+ z) : kept row.
  let row = id.y + id.z * n.y;
  if (id.x >= params.dim || row >= params.rows) { return; }
  embeds[positions[row] * params.dim + id.x] = kept[row * params.dim + id.x];
}
