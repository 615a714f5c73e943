// Uniform-buffer layouts defined once, mirroring a WGSL struct field for field: offsets and
// sizes follow WGSL's alignment rules, so no driver writes magic byte offsets by hand.
//
//   const Params = uniformLayout({ frames: 'u32', tokens: 'u32', scale: 'f32' });
//   // WGSL: struct Params { frames: u32, tokens: u32, scale: f32 }
//   device.queue.writeBuffer(buf, 0, Params.pack({ frames: 4, tokens: 64, scale: 0.5 }));

export type FieldType = 'u32' | 'i32' | 'f32' | 'vec2u' | 'vec2f' | 'vec4u' | 'vec4f';

type Scalar = 'u32' | 'i32' | 'f32';
const fieldInfo: Record<FieldType, { size: number; align: number; count: number; kind: Scalar }> = {
  u32: { size: 4, align: 4, count: 1, kind: 'u32' },
  i32: { size: 4, align: 4, count: 1, kind: 'i32' },
  f32: { size: 4, align: 4, count: 1, kind: 'f32' },
  vec2u: { size: 8, align: 8, count: 2, kind: 'u32' },
  vec2f: { size: 8, align: 8, count: 2, kind: 'f32' },
  vec4u: { size: 16, align: 16, count: 4, kind: 'u32' },
  vec4f: { size: 16, align: 16, count: 4, kind: 'f32' },
};

type ValueOf<T extends FieldType> = T extends 'u32' | 'i32' | 'f32' ? number : readonly number[];

export interface UniformLayout<F extends Record<string, FieldType>> {
  /** The fields in order, with their types (as the WGSL struct declares them). */
  readonly fields: F;
  /** Byte size of the struct, a multiple of 16 as uniform buffers require. */
  readonly size: number;
  readonly offsets: { readonly [K in keyof F]: number };
  /** The bytes of one struct value. */
  pack(values: { readonly [K in keyof F]: ValueOf<F[K]> }): ArrayBuffer;
}

export function uniformLayout<F extends Record<string, FieldType>>(fields: F): UniformLayout<F> {
  let offset = 0;
  let maxAlign = 4;
  const offsets = {} as Record<keyof F, number>;
  for (const name of Object.keys(fields) as (keyof F)[]) {
    const { size, align } = fieldInfo[fields[name]!];
    offset = Math.ceil(offset / align) * align;
    offsets[name] = offset;
    offset += size;
    maxAlign = Math.max(maxAlign, align);
  }
  const size = Math.ceil(offset / Math.max(16, maxAlign)) * Math.max(16, maxAlign);
  return {
    fields,
    size,
    offsets,
    pack(values) {
      const buf = new ArrayBuffer(size);
      const view = new DataView(buf);
      for (const name of Object.keys(fields) as (keyof F)[]) {
        const type = fields[name]!;
        const v = values[name] as number | readonly number[];
        const items = typeof v === 'number' ? [v] : v;
        const { count, kind } = fieldInfo[type];
        if (items.length !== count) throw new Error(`uniform ${String(name)}: expected ${count}`);
        items.forEach((x, i) => {
          const at = offsets[name] + 4 * i;
          if (kind === 'f32') view.setFloat32(at, x, true);
          else if (kind === 'i32') view.setInt32(at, x, true);
          else view.setUint32(at, x, true);
        });
      }
      return buf;
    },
  };
}
