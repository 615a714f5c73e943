// Next-token candidates from the last row of the logits, on the GPU: the K largest logits with
// their token ids, in descending order (ties: lower id first). The decode loop reads back K
// pairs, never the logits. K = 1 is greedy decoding. Must match src/vlm/next-token.ts (topKCpu).

struct Params {
  vocab: u32,  // logits per row
  row: u32,    // which row of `logits` (the last position)
  k: u32,      // candidates wanted
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read_write> out_values: array<f32>;
@group(0) @binding(3) var<storage, read_write> out_ids: array<u32>;

override WG: u32 = 256;

var<workgroup> best_value: array<f32, WG>;
var<workgroup> best_id: array<u32, WG>;

// a ranks before b: larger value, or equal value and lower id.
fn before(va: f32, ia: u32, vb: f32, ib: u32) -> bool {
  return va > vb || (va == vb && ia < ib);
}

@compute @workgroup_size(WG)
fn top_k(@builtin(local_invocation_index) lid: u32) {
  let base = params.row * params.vocab;
  var prev_value = bitcast<f32>(0x7f7fffffu); // the largest f32
  var prev_id = 0xffffffffu;
  var have_prev = false;
  for (var r = 0u; r < params.k; r++) {
    // Each thread: its best candidate ranked strictly after the previous pick.
    var v = -bitcast<f32>(0x7f7fffffu);
    var i = 0xffffffffu;
    for (var t = lid; t < params.vocab; t += WG) {
      let x = logits[base + t];
      let after_prev = !have_prev || before(prev_value, prev_id, x, t);
      if (after_prev && (i == 0xffffffffu || before(x, t, v, i))) {
        v = x;
        i = t;
      }
    }
    best_value[lid] = v;
    best_id[lid] = i;
    workgroupBarrier();
    for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
      if (lid < stride) {
        let ov = best_value[lid + stride];
        let oi = best_id[lid + stride];
        if (oi != 0xffffffffu && (best_id[lid] == 0xffffffffu || before(ov, oi, best_value[lid], best_id[lid]))) {
          best_value[lid] = ov;
          best_id[lid] = oi;
        }
      }
      workgroupBarrier();
    }
    prev_value = best_value[0];
    prev_id = best_id[0];
    have_prev = true;
    if (lid == 0u) {
      out_values[r] = prev_value;
      out_ids[r] = prev_id;
    }
    workgroupBarrier();
  }
}
