// includes: kvtp-common.wgsl
// Where every kept token goes in the gathered sequence, from `assign` (.x: representative or −1)
// of any method; one invocation per frame walks its N tokens in grid order (O(N), no barriers).
//   frameCounts   rows of each frame, separators included (needed on the GPU only for
//                 separators after grid rows; otherwise the host knows them from the budgets);
//   offsets       one invocation: frame offsets from the counts;
//   place         each output row's source: rows[r] = (frame · N + token, frame), or (−1, frame)
//                 for a separator (after the frame, or after the last kept token of each grid
//                 row that kept one).

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> assign: array<vec2<i32>>;
// [0, L): rows of frame f; [L, 2L + 1): offsets
@group(0) @binding(2) var<storage, read_write> frameRows: array<u32>;
@group(0) @binding(3) var<storage, read_write> rows: array<vec2<i32>>;

fn isKept(f: u32, u: u32) -> bool { return assign[f * params.tokens + u].x == i32(u); }

/** Rows frame f fills, separators included. */
fn rowsOf(f: u32) -> u32 {
  var n = 0u;
  var rowKept = false;
  var col = 0u;
  for (var u = 0u; u < params.tokens; u++) {
    if (isKept(f, u)) { n++; rowKept = true; }
    col++;
    if (col == params.gridW) {
      if (params.sepMode == 2u && rowKept) { n++; }
      rowKept = false;
      col = 0u;
    }
  }
  return n + select(0u, 1u, params.sepMode == 1u);
}

// (x: frame)
@compute @workgroup_size(WG)
fn frameCounts(@builtin(global_invocation_id) g: vec3u) {
  let f = g.x;
  if (f >= params.frames) { return; }
  frameRows[f] = rowsOf(f);
}

// one invocation
@compute @workgroup_size(1)
fn offsets() {
  let L = params.frames;
  var at = 0u;
  for (var f = 0u; f < L; f++) {
    frameRows[L + f] = at;
    at += frameRows[f];
  }
  frameRows[2u * L] = at;
}

// (x: frame)
@compute @workgroup_size(WG)
fn place(@builtin(global_invocation_id) g: vec3u) {
  let f = g.x; let N = params.tokens;
  if (f >= params.frames) { return; }
  var at = frameRows[params.frames + f];
  var rowKept = false;
  var col = 0u;
  for (var u = 0u; u < N; u++) {
    if (isKept(f, u)) {
      rows[at] = vec2<i32>(i32(f * N + u), i32(f));
      at++;
      rowKept = true;
    }
    col++;
    if (col == params.gridW) {
      if (params.sepMode == 2u && rowKept) { rows[at] = vec2<i32>(-1, i32(f)); at++; }
      rowKept = false;
      col = 0u;
    }
  }
  if (params.sepMode == 1u) { rows[at] = vec2<i32>(-1, i32(f)); }
}
