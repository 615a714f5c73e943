// Every uniform struct of the WGSL kernels against its TypeScript mirror (uniformLayout): the
// same fields in the same order with the same types, at the offsets WGSL's layout rules give
// (AlignOf/SizeOf of u32, i32, f32, vec2, vec3, vec4; a struct's size rounded up to its largest
// alignment), and a TypeScript size that is the WGSL size rounded up to 16 bytes. Parsed from
// the .wgsl text itself, so a field added on one side only fails here.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { FieldType, UniformLayout } from '../../src/gpu/uniforms.ts';
import {
  AllocationModeCode,
  AllocParams,
  HeadKind,
  KernelMethod,
  ReduceParams,
  ScoreParams,
} from '../../src/kvtp/gpu/layouts.ts';
import { PreprocessParams } from '../../src/models/preprocess.ts';
import { TopKParams } from '../../src/vlm/next-token.ts';
import { SpliceParams } from '../../src/vlm/splice.ts';

const dir = new URL('../../shaders/', import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith('.wgsl'));
const text = (file: string) =>
  readFileSync(new URL(file, dir), 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\/\/.*$/gm, '');

/** [file, struct] → its TypeScript mirror. */
const MIRRORS: [string, string, UniformLayout<Record<string, FieldType>>][] = [
  ['kvtp-common.wgsl', 'Params', ReduceParams],
  ['allocate.wgsl', 'AllocParams', AllocParams],
  ['relevance.wgsl', 'ScoreParams', ScoreParams],
  ['preprocess.wgsl', 'Params', PreprocessParams],
  ['splice.wgsl', 'Params', SpliceParams],
  ['top-k.wgsl', 'Params', TopKParams],
];

interface WgslField {
  name: string;
  type: string;
}

function structsOf(code: string): Map<string, WgslField[]> {
  const out = new Map<string, WgslField[]>();
  for (const m of code.matchAll(/struct\s+(\w+)\s*\{([^}]*)\}/g)) {
    // name: type, a type's own commas inside its <…>
    const fields = [...m[2]!.matchAll(/(\w+)\s*:\s*(\w+(?:\s*<[^>]*>)?)/g)].map((f) => ({
      name: f[1]!,
      type: f[2]!.replace(/\s+/g, ''),
    }));
    out.set(m[1]!, fields);
  }
  return out;
}

/** WGSL's spelling of a layout field type, both forms (vec2u, vec2<u32>). */
function canonical(type: string): string {
  const m = /^vec([234])<(u32|i32|f32)>$/.exec(type);
  return m ? `vec${m[1]}${m[2]![0]}` : type;
}

/** AlignOf and SizeOf in the uniform address space (scalars and vectors of 32-bit scalars). */
function alignSize(type: string): { align: number; size: number } {
  const t = canonical(type);
  if (t === 'u32' || t === 'i32' || t === 'f32') return { align: 4, size: 4 };
  const m = /^vec([234])[uif]$/.exec(t);
  if (!m) throw new Error(`no layout rule for ${type}`);
  const n = Number(m[1]);
  return { align: n === 2 ? 8 : 16, size: 4 * n };
}

function wgslLayout(fields: WgslField[]): { offsets: number[]; size: number } {
  let at = 0;
  let maxAlign = 1;
  const offsets = fields.map((f) => {
    const { align, size } = alignSize(f.type);
    at = Math.ceil(at / align) * align;
    const o = at;
    at += size;
    maxAlign = Math.max(maxAlign, align);
    return o;
  });
  return { offsets, size: Math.ceil(at / maxAlign) * maxAlign };
}

describe('WGSL uniform structs and their TypeScript mirrors', () => {
  it('every var<uniform> in shaders/ has a mirror', () => {
    const defined = new Map<string, string>(); // struct → file, per file's own structs
    const used: [string, string][] = [];
    for (const f of files) {
      const code = text(f);
      for (const name of structsOf(code).keys()) defined.set(`${f}:${name}`, f);
      for (const m of code.matchAll(/var<uniform>\s+\w+\s*:\s*(\w+)/g)) used.push([f, m[1]!]);
    }
    for (const [file, struct] of used) {
      // a kernel file's own struct, else the shared one it includes
      const owner = defined.has(`${file}:${struct}`) ? file : 'kvtp-common.wgsl';
      expect(defined.has(`${owner}:${struct}`), `${file}: ${struct} is declared`).toBe(true);
      expect(
        MIRRORS.some(([f, s]) => f === owner && s === struct),
        `${owner} ${struct} has a mirror`,
      ).toBe(true);
    }
  });

  for (const [file, struct, layout] of MIRRORS) {
    it(`${file} ${struct}: fields, types, offsets and size`, () => {
      const fields = structsOf(text(file)).get(struct);
      expect(fields, `${struct} in ${file}`).toBeDefined();
      const names = Object.keys(layout.fields);
      expect(fields!.map((f) => f.name)).toEqual(names);
      expect(fields!.map((f) => canonical(f.type))).toEqual(names.map((n) => layout.fields[n]));
      const { offsets, size } = wgslLayout(fields!);
      expect(names.map((n) => layout.offsets[n])).toEqual(offsets);
      expect(layout.size).toBe(Math.ceil(size / 16) * 16);
    });
  }
});

describe('WGSL constants and their TypeScript enums', () => {
  const ENUMS: [string, string, Readonly<Record<string, number>>][] = [
    ['kvtp-common.wgsl', 'METHOD', KernelMethod],
    ['allocate.wgsl', 'MODE', AllocationModeCode],
    ['relevance.wgsl', 'HEAD', HeadKind],
  ];
  for (const [file, prefix, values] of ENUMS) {
    it(`${file} ${prefix}_*: the same names and numbers`, () => {
      const consts = [
        ...text(file).matchAll(new RegExp(`const ${prefix}_(\\w+): u32 = (\\d+)u;`, 'g')),
      ];
      const wgsl = Object.fromEntries(consts.map((m) => [m[1]!.replaceAll('_', ''), Number(m[2])]));
      const ts = Object.fromEntries(Object.entries(values).map(([k, v]) => [k.toUpperCase(), v]));
      expect(wgsl).toEqual(ts);
    });
  }
});
