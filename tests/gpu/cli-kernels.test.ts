// `kvtp allocate` and `kvtp prune` as a user runs them: the real command line, both backends,
// against the reference semantics (src/kvtp, in process). CPU within 1e-4 relative, GPU 2e-3.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { allocateCpu } from '../../src/kvtp/allocate.ts';
import { gatherCpu, reduceFramesCpu } from '../../src/kvtp/reduce-cpu.ts';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'kvtp-cli-'));
let n = 0;

async function kvtp(command: string, input: unknown, backend: 'cpu' | 'gpu') {
  const file = join(dir, `in-${n++}.json`);
  writeFileSync(file, typeof input === 'string' ? input : JSON.stringify(input));
  try {
    const { stdout } = await run('node', [
      'bin/kvtp.mjs',
      command,
      '--input',
      file,
      '--backend',
      backend,
    ]);
    return { code: 0, json: JSON.parse(stdout) };
  } catch (e) {
    const err = e as { code: number; stdout: string };
    return { code: err.code, json: JSON.parse(err.stdout) };
  }
}

function gaussianRows(rows: number, width: number, seed: number): number[][] {
  let s = seed;
  const next = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  return Array.from({ length: rows }, () =>
    Array.from(
      { length: width },
      () => Math.sqrt(-2 * Math.log(next() + 1e-12)) * Math.cos(2 * Math.PI * next()),
    ),
  );
}

describe('kvtp allocate', () => {
  const input = {
    scores: [3, -1, 0.5, 8, 2, 2.5],
    keepRatio: 0.2,
    temperature: 2,
    mode: 'exact',
    tokensPerFrame: 196,
    minPerFrame: 1,
  };
  for (const backend of ['cpu', 'gpu'] as const) {
    it(`${backend}: every mode as the reference`, async () => {
      for (const mode of ['paper', 'exact', 'uniform', 'hard'] as const) {
        const { code, json } = await kvtp('allocate', { ...input, mode }, backend);
        expect(code).toBe(0);
        const want = allocateCpu(input.scores, { ...input, mode });
        expect(json.keep).toEqual(want.keep);
        (json.rates as number[]).forEach((r, i) => expect(r).toBeCloseTo(want.rates[i]!, 5));
      }
    });
  }
  it('paper mode without tokensPerFrame gives rates only', async () => {
    const { json } = await kvtp(
      'allocate',
      { scores: [1, 2], keepRatio: 0.5, temperature: 2, mode: 'paper' },
      'cpu',
    );
    expect(Object.keys(json)).toEqual(['rates']);
  });
  it('bad input is an error value with a readable message and exit code 1', async () => {
    const bad = await kvtp('allocate', { scores: [1, 'x'], keepRatio: 0.2 }, 'cpu');
    expect(bad).toEqual({
      code: 1,
      json: { error: { code: 'bad-input', message: '"scores" must be an array of numbers' } },
    });
    const ratio = await kvtp(
      'allocate',
      { scores: [1], keepRatio: 2, mode: 'exact', tokensPerFrame: 4 },
      'gpu',
    );
    expect(ratio.json.error.message).toMatch(/keepRatio must be in \(0, 1\]/);
    const notJson = await kvtp('allocate', '{oops', 'cpu');
    expect(notJson.json.error.code).toBe('bad-input');
  });
});

describe('kvtp prune', () => {
  const grid: [number, number] = [5, 3];
  const features = gaussianRows(15, 24, 1);
  const keys = gaussianRows(15, 8, 2);
  for (const method of ['none', 'random', 'tome', 'prumerge'] as const) {
    it(`${method}: CPU and GPU agree with the reference`, async () => {
      const input = { method, grid, features, keys, keep: 4, seed: 3 };
      const frames = reduceFramesCpu(
        {
          frames: 1,
          tokens: 15,
          grid,
          dim: 24,
          features: Float32Array.from(features.flat()),
          keyDim: 8,
          keys: Float32Array.from(keys.flat()),
          importance: null,
        },
        { method, keep: [4], seed: 3 },
      );
      const want = gatherCpu(frames, 24, 3);
      for (const [backend, tol] of [
        ['cpu', 1e-4],
        ['gpu', 2e-3],
      ] as const) {
        const { code, json } = await kvtp('prune', input, backend);
        expect(code, backend).toBe(0);
        expect(json.indices, backend).toEqual(Array.from(want.indices));
        expect(json.groups, backend).toEqual(want.groups);
        (json.features as number[][]).forEach((row, r) =>
          row.forEach((v, c) => {
            const w = want.features[r * 24 + c]!;
            expect(Math.abs(v - w), `${backend} row ${r}`).toBeLessThanOrEqual(
              tol * Math.max(1, Math.abs(w)),
            );
          }),
        );
      }
    });
  }
  it('a grid that does not match the features is a bad-input error', async () => {
    const { code, json } = await kvtp(
      'prune',
      { method: 'tome', grid: [2, 2], features: [[1]], keep: 1 },
      'cpu',
    );
    expect(code).toBe(1);
    expect(json.error).toEqual({ code: 'bad-input', message: '"features" must have 4 rows' });
  });
});
