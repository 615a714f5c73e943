// Tensor element types as a session declares them: fp16 and q4f16 exports take and give float16
// (pixels, embeddings, the KV cache, logits) where fp32 ones use float32. Tensors we build are made
// in the type the session's input metadata names, and float outputs are read back as Float32Array
// whatever their type. Float16 values travel as IEEE half bits in a Uint16Array (Node has no
// Float16Array); the conversions here round to nearest even.

import type { Ort, OrtSession, OrtTensor } from './ort.ts';

export type FloatType = 'float32' | 'float16';

/** The element type of input `name` of `session` (float32 when the session does not say). */
export function inputType(session: OrtSession, name: string): OrtTensor['type'] {
  return metadataType(session.inputMetadata, name) ?? 'float32';
}

/** The element type of output `name` of `session` (float32 when the session does not say). */
export function outputType(session: OrtSession, name: string): OrtTensor['type'] {
  return metadataType(session.outputMetadata, name) ?? 'float32';
}

function metadataType(
  list: OrtSession['inputMetadata'] | undefined,
  name: string,
): OrtTensor['type'] | null {
  const m = list?.find((x) => x.name === name);
  return m?.isTensor ? (m.type as OrtTensor['type']) : null;
}

/** Whether `type` is a float type we convert (anything else is passed through unchanged). */
export function floatType(type: string): FloatType {
  return type === 'float16' ? 'float16' : 'float32';
}

/** A CPU tensor of `type` (float32 or float16) holding `values`. */
export function floatTensor(
  ort: Ort,
  type: string,
  values: Float32Array,
  dims: readonly number[],
): OrtTensor {
  if (floatType(type) === 'float16') return new ort.Tensor('float16', toHalf(values), dims);
  return new ort.Tensor('float32', values, dims);
}

/**
 * `t` in the float `type` a session input wants: a CPU float32 ↔ float16 copy when they differ,
 * else `t` itself (GPU tensors and non-float types are never converted).
 */
export function castTo(ort: Ort, t: OrtTensor, type: string): OrtTensor {
  if (t.location !== 'cpu' || (t.type !== 'float32' && t.type !== 'float16')) return t;
  const want = floatType(type);
  if (t.type === want) return t;
  return want === 'float16'
    ? new ort.Tensor('float16', toHalf(t.data as Float32Array), t.dims)
    : new ort.Tensor('float32', halfData(t.data), t.dims);
}

/** float16 tensor data as float32: half bits (Uint16Array) or a runtime's Float16Array. */
function halfData(data: unknown): Float32Array {
  return data instanceof Uint16Array
    ? fromHalf(data)
    : Float32Array.from(data as ArrayLike<number>);
}

/** The values of a float tensor (CPU or GPU, float32 or float16) as a Float32Array. */
export async function readFloat32(t: OrtTensor): Promise<Float32Array> {
  const data = await t.getData();
  if (t.type === 'float16') return halfData(data); // half bits, or a Float16Array where there is one
  return data as Float32Array;
}

/** Bytes per element of a float type. */
export function bytesPerElement(type: string): number {
  return floatType(type) === 'float16' ? 2 : 4;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE half bits of `x`, rounded to nearest even (overflow to ±Infinity, NaN kept). */
export function halfBits(x: number): number {
  f32[0] = x;
  const b = u32[0]!;
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  const mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    const m = mant | 0x800000;
    const shift = 14 - e;
    const half = m >>> shift;
    const rest = m & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    return sign | (half + (rest > mid || (rest === mid && half & 1) ? 1 : 0));
  }
  const half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  return sign | (half + (rest > 0x1000 || (rest === 0x1000 && half & 1) ? 1 : 0));
}

/** The number that IEEE half bits `h` stand for. */
export function halfValue(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

export function toHalf(values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = halfBits(values[i]!);
  return out;
}

export function fromHalf(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = halfValue(bits[i]!);
  return out;
}
