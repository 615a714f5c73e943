// Every WGSL file in shaders/ compiles on the real device (Dawn on SwiftShader) without errors:
// the shared files and the files without includes on their own, each KVTP kernel file exactly as
// the loader builds it (src/kvtp/gpu/wgsl.ts: its declared includes only, for every vector width).
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeGpu } from '../../cli/node-gpu.ts';
import { acquireGpu, type GpuContext } from '../../src/gpu/index.ts';
import { declaredIncludes, KVTP_INCLUDES, kvtpSource } from '../../src/kvtp/gpu/wgsl.ts';

const dir = new URL('../../shaders/', import.meta.url);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.wgsl'))
  .sort();

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await acquireGpu(await nodeGpu());
});
afterAll(() => ctx?.device.destroy());

/** The compiler's errors for `code` (empty when it compiles). */
async function errorsOf(code: string, label: string): Promise<string[]> {
  const { device } = ctx;
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ label, code });
  const info = await module.getCompilationInfo();
  const scoped = await device.popErrorScope();
  return [
    ...info.messages
      .filter((m) => m.type === 'error')
      .map((m) => `${label}:${m.lineNum}:${m.linePos} ${m.message}`),
    ...(scoped ? [`${label}: ${scoped.message}`] : []),
  ];
}

const WIDTHS = [
  { keys: 4, features: 4 },
  { keys: 4, features: 3 },
  { keys: 3, features: 4 },
  { keys: 3, features: 3 },
];

describe('shaders/*.wgsl compile', () => {
  it('the loader knows every shared file, and every shared file is in shaders/', () => {
    for (const name of Object.keys(KVTP_INCLUDES)) expect(files).toContain(name);
    for (const f of files.filter((f) => f.startsWith('kvtp-'))) {
      expect(Object.keys(KVTP_INCLUDES)).toContain(f);
    }
  });
  for (const file of files) {
    const code = readFileSync(new URL(file, dir), 'utf8');
    const includes = declaredIncludes(code);
    if (!includes.length) {
      it(`${file} on its own`, async () => {
        expect(await errorsOf(code, file)).toEqual([]);
      });
      continue;
    }
    it(`${file} with only its includes (${includes.join(' ')}), at every vector width`, async () => {
      const sources = new Set(WIDTHS.map((w) => kvtpSource(code, w)));
      // a file whose includes do not depend on a width builds one source for it
      for (const source of sources) {
        expect(await errorsOf(source, file)).toEqual([]);
        expect(source.endsWith(code)).toBe(true);
      }
      // and the includes are needed: without them the file does not compile
      expect(await errorsOf(code, file)).not.toEqual([]);
    });
  }
});
