// Frame preprocessing: an RGBA8 frame texture → one image of a model's input tensor, in place
// in the GPU buffer the model reads. Resize (antialiased: a box of bilinear taps over each output
// pixel's footprint), place at the top-left of the padded canvas, rescale, normalize, and write
// the pixel mask (1 where the image is, 0 in the padding).
//
// Must match src/models/preprocess.ts (preprocessFrameCpu) tap for tap.

struct Params {
  src_size: vec2u,     // input texture width, height
  out_size: vec2u,     // padded output width, height (the tensor's W, H)
  fit_size: vec2u,     // size the image is resized to (≤ out_size)
  crop_origin: vec2f,  // top-left of the crop in source pixels (shortest-edge + centre crop)
  crop_size: vec2f,    // width, height of the crop in source pixels
  taps: vec2u,         // box taps per output pixel in x and y
  image_offset: u32,   // first f32 of this image in `pixels` (image index · 3 · H · W)
  mask_offset: u32,    // first u32 of this image in `mask` (image index · H · W / 4)
  rescale: f32,
  pad_value: f32,      // value of padded pixels, after normalization
  mean: vec4f,
  inv_std: vec4f,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var frame: texture_2d<f32>;
@group(0) @binding(2) var<storage, read_write> pixels: array<f32>;
@group(0) @binding(3) var<storage, read_write> mask: array<u32>;

override WG_X: u32 = 8;
override WG_Y: u32 = 8;

fn texel(x: i32, y: i32) -> vec3f {
  let size = vec2i(params.src_size);
  let c = clamp(vec2i(x, y), vec2i(0), size - vec2i(1));
  return textureLoad(frame, c, 0).rgb;
}

fn bilinear(p: vec2f) -> vec3f {
  // p in source pixel coordinates, texel centres at integer + 0.5.
  let q = p - vec2f(0.5);
  let base = floor(q);
  let f = q - base;
  let x0 = i32(base.x);
  let y0 = i32(base.y);
  let top = mix(texel(x0, y0), texel(x0 + 1, y0), f.x);
  let bottom = mix(texel(x0, y0 + 1), texel(x0 + 1, y0 + 1), f.x);
  return mix(top, bottom, f.y);
}

@compute @workgroup_size(WG_X, WG_Y)
fn preprocess(@builtin(global_invocation_id) id: vec3u) {
  let W = params.out_size.x;
  let H = params.out_size.y;
  if (id.x >= W || id.y >= H) { return; }
  let plane = W * H;
  let at = id.y * W + id.x;
  var rgb = vec3f(params.pad_value);
  let inside = id.x < params.fit_size.x && id.y < params.fit_size.y;
  if (inside) {
    // Footprint of this output pixel in source coordinates.
    let scale = params.crop_size / vec2f(params.fit_size);
    let origin = params.crop_origin + vec2f(f32(id.x), f32(id.y)) * scale;
    let taps = params.taps;
    var sum = vec3f(0.0);
    for (var ty = 0u; ty < taps.y; ty++) {
      for (var tx = 0u; tx < taps.x; tx++) {
        let off = (vec2f(f32(tx), f32(ty)) + vec2f(0.5)) / vec2f(taps);
        sum += bilinear(origin + off * scale);
      }
    }
    let color = sum / f32(taps.x * taps.y);
    // Texture values are [0, 1]; models expect rescale · 255 · value (rescale = 1/255 usually).
    rgb = (color * 255.0 * params.rescale - params.mean.rgb) * params.inv_std.rgb;
  }
  pixels[params.image_offset + at] = rgb.r;
  pixels[params.image_offset + plane + at] = rgb.g;
  pixels[params.image_offset + 2u * plane + at] = rgb.b;
}

// The mask: one byte per pixel (ONNX bool), four per u32; one invocation per u32.
@compute @workgroup_size(64)
fn pixel_mask(@builtin(global_invocation_id) id: vec3u) {
  let W = params.out_size.x;
  let H = params.out_size.y;
  let words = (W * H + 3u) / 4u;
  if (id.x >= words) { return; }
  var word = 0u;
  for (var b = 0u; b < 4u; b++) {
    let p = id.x * 4u + b;
    if (p < W * H) {
      let x = p % W;
      let y = p / W;
      if (x < params.fit_size.x && y < params.fit_size.y) { word |= 1u << (8u * b); }
    }
  }
  mask[params.mask_offset + id.x] = word;
}
