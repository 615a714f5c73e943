// The layers depend downward only (docs/ARCHITECTURE.md): core at the bottom; video, gpu, kvtp,
// models and vlm never import from the engine, the worker, the store or the UI; the engine never
// from the worker, the store or the UI; the worker is the adapter in front of the engine.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../../src');

/** Every relative import of every .ts/.tsx file under src/, as [importer, imported] folders. */
function imports(): { from: string; file: string; to: string }[] {
  const out: { from: string; file: string; to: string }[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.tsx?$/.test(e.name)) {
        const text = readFileSync(p, 'utf8');
        for (const m of text.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
          const target = resolve(dirname(p), m[1]!);
          // a folder of src/, or `shaders` for the WGSL files beside it
          const layer = (f: string) => {
            const parts = relative(SRC, f).split('/');
            return parts[0] === '..' ? parts[1]! : parts[0]!;
          };
          out.push({ from: layer(p), file: relative(SRC, p), to: layer(target) });
        }
      }
    }
  };
  walk(SRC);
  return out;
}

/** The folders each layer may import from (besides itself). */
const ALLOWED: Record<string, readonly string[]> = {
  core: [],
  gpu: ['core'],
  video: ['core', 'gpu'],
  kvtp: ['core', 'gpu', 'shaders'],
  models: ['core', 'gpu', 'kvtp', 'video', 'shaders'],
  vlm: ['core', 'gpu', 'kvtp', 'models', 'video', 'shaders'],
  engine: ['core', 'gpu', 'kvtp', 'models', 'video', 'vlm'],
  worker: ['core', 'engine', 'gpu', 'kvtp', 'models', 'video', 'vlm'],
};

describe('layers', () => {
  const all = imports();

  it('finds the imports it checks', () => {
    expect(all.filter((i) => i.from === 'vlm').length).toBeGreaterThan(20);
  });

  for (const [layer, allowed] of Object.entries(ALLOWED)) {
    it(`${layer} imports only from ${allowed.join(', ') || 'itself'}`, () => {
      const wrong = all
        .filter((i) => i.from === layer && i.to !== layer && !allowed.includes(i.to))
        .map((i) => `${i.file} → ${i.to}/`);
      expect(wrong).toEqual([]);
    });
  }
});
