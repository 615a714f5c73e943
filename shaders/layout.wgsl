// includes: kvtp-common.wgsl
// Where every kept token goes in the gathered sequence, from `assign` (.x: representative or −1)
// of any method and the frame offsets the host computed from the budgets (`frameRows`); one
// invocation per frame walks its N tokens in grid order (O(N), no barriers):
//   place   each output row's source: rows[r] = (frame · N + token, frame).

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> assign: array<vec2<i32>>;
// [0, L): rows of frame f; [L, 2L + 1): offsets
@group(0) @binding(2) var<storage, read> frameRows: array<u32>;
@group(0) @binding(3) var<storage, read_write> rows: array<vec2<i32>>;

fn isKept(f: u32, u: u32) -> bool { return assign[f * params.tokens + u].x == i32(u); }

// (x: frame)
@compute @workgroup_size(WG)
fn place(@builtin(global_invocation_id) g: vec3u) {
  let f = g.x; let N = params.tokens;
  if (f >= params.frames) { return; }
  var at = frameRows[params.frames + f];
  for (var u = 0u; u < N; u++) {
    if (isKept(f, u)) {
      rows[at] = vec2<i32>(i32(f * N + u), i32(f));
      at++;
    }
  }
}
