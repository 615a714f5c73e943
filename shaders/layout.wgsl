// Where every kept token goes in the gathered sequence. From `assign` (.x: representative or
// −1) of any method: ToMe member lists (tokenMembers), kept and separator counts per frame
// (frameCounts), frame offsets (offsets, one invocation), and each output row's source (place):
// rows[r] = (frame · N + token, frame), or (−1, frame) for a separator.

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> assign: array<vec2<i32>>;
@group(0) @binding(2) var<storage, read_write> members: array<vec2<u32>>;
@group(0) @binding(3) var<storage, read_write> spans: array<vec2<u32>>;
// [0, L): rows of frame f; [L, 2L + 1): offsets
@group(0) @binding(4) var<storage, read_write> frameRows: array<u32>;
@group(0) @binding(5) var<storage, read_write> rows: array<vec2<i32>>;

fn isKept(f: u32, u: u32) -> bool { return assign[f * params.tokens + u].x == i32(u); }

// (x: token, y: frame): ToMe groups as sorted member lists, weight 1
@compute @workgroup_size(WG)
fn tokenMembers(@builtin(global_invocation_id) g: vec3u) {
  let u = g.x; let f = g.y; let N = params.tokens; let base = f * N;
  if (u >= N) { return; }
  let a = assign[base + u].x;
  var pos = 0u; var start = 0u; var count = 0u;
  for (var v = 0u; v < N; v++) {
    let av = assign[base + v].x;
    if (av < 0) { continue; }
    if (a >= 0 && (av < a || (av == a && v < u))) { pos++; }
    if (av < i32(u)) { start++; }
    if (av == i32(u)) { count++; }
  }
  if (a >= 0) { members[base + pos] = vec2<u32>(u, bitcast<u32>(1.0)); }
  spans[base + u] = vec2<u32>(base + start, count);
}

/** Grid rows of frame f before row `row` that kept a token. */
fn keptRowsBefore(f: u32, row: u32) -> u32 {
  var n = 0u;
  for (var r = 0u; r < row; r++) {
    for (var c = 0u; c < params.gridW; c++) {
      if (isKept(f, r * params.gridW + c)) { n++; break; }
    }
  }
  return n;
}

// (x: frame)
@compute @workgroup_size(WG)
fn frameCounts(@builtin(global_invocation_id) g: vec3u) {
  let f = g.x;
  if (f >= params.frames) { return; }
  var n = 0u;
  for (var u = 0u; u < params.tokens; u++) { if (isKept(f, u)) { n++; } }
  if (params.sepMode == 1u) { n++; }
  if (params.sepMode == 2u) { n += keptRowsBefore(f, params.tokens / params.gridW); }
  frameRows[f] = n;
}

// one invocation: offsets, and each frame's trailing separator row
@compute @workgroup_size(1)
fn offsets() {
  let L = params.frames;
  var at = 0u;
  for (var f = 0u; f < L; f++) {
    frameRows[L + f] = at;
    at += frameRows[f];
    if (params.sepMode == 1u) { rows[at - 1u] = vec2<i32>(-1, i32(f)); }
  }
  frameRows[2u * L] = at;
}

// (x: token, y: frame)
@compute @workgroup_size(WG)
fn place(@builtin(global_invocation_id) g: vec3u) {
  let u = g.x; let f = g.y; let N = params.tokens;
  if (u >= N || !isKept(f, u)) { return; }
  var before = 0u;
  for (var v = 0u; v < u; v++) { if (isKept(f, v)) { before++; } }
  let w = params.gridW;
  let row = u / w;
  var at = frameRows[params.frames + f] + before;
  if (params.sepMode == 2u) { at += keptRowsBefore(f, row); }
  rows[at] = vec2<i32>(i32(f * N + u), i32(f));
  if (params.sepMode == 2u) {
    var last = true;
    for (var v = u + 1u; v < (row + 1u) * w; v++) { if (isKept(f, v)) { last = false; break; } }
    if (last) { rows[at + 1u] = vec2<i32>(-1, i32(f)); }
  }
}
