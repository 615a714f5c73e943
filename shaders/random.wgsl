// Random reduction: frame f keeps the k_f tokens with the smallest hash(seed, f, u) (ties by
// index); `none` is the same with k_f = N. The hash is src/kvtp/reduce-cpu.ts' pcgHash.

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> keep: array<u32>;
@group(0) @binding(2) var<storage, read_write> assign: array<vec2<i32>>;

fn pcg(v: u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}

fn key(f: u32, u: u32) -> u32 { return pcg(pcg(pcg(params.seed) + f) + u); }

// (x: token, y: frame)
@compute @workgroup_size(WG)
fn randomSelect(@builtin(global_invocation_id) g: vec3u) {
  let u = g.x; let f = g.y; let N = params.tokens;
  if (u >= N) { return; }
  let k = keep[f];
  var kept = k >= N;
  if (!kept && k > 0u) {
    let ku = key(f, u);
    var rank = 0u;
    for (var v = 0u; v < N; v++) {
      let kv = key(f, v);
      if (kv < ku || (kv == ku && v < u)) { rank++; }
    }
    kept = rank < k;
  }
  assign[f * N + u] = vec2<i32>(select(-1, i32(u), kept), 0);
}
