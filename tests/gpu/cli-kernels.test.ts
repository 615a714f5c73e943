// `kvtp allocate` and `kvtp prune` as a user runs them: the real command line, both backends,
// against the reference semantics (src/kvtp, in process). CPU within 1e-4 relative, GPU 2e-3;
// budgets and kept indices exactly (a reference near tie, margin below 1e-4, excepted). ToMe
// also against the reference port's fixture (tests/fixtures/tome-reference.json).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { allocateCpu } from '../../src/kvtp/allocate.ts';
import { gatherCpu, reduceFramesCpu, type ReduceDiagnostics } from '../../src/kvtp/reduce-cpu.ts';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'kvtp-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
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
    it(`${backend}: "method" sets paper budgets (ToMe: N − floor(N·(1 − r))), default none`, async () => {
      const paper = { ...input, mode: 'paper' };
      const none = await kvtp('allocate', paper, backend);
      const random = await kvtp('allocate', { ...paper, method: 'random' }, backend);
      const tome = await kvtp('allocate', { ...paper, method: 'tome' }, backend);
      expect(none.json.keep).toEqual(allocateCpu(input.scores, { ...paper, mode: 'paper' }).keep);
      expect(random.json.keep).toEqual(none.json.keep);
      const want = allocateCpu(input.scores, { ...paper, mode: 'paper', method: 'tome' }).keep!;
      expect(tome.json.keep).toEqual(want);
      (tome.json.rates as number[]).forEach((r, i) =>
        expect(want[i]).toBe(r >= 1 ? 196 : 196 - Math.floor(196 * (1 - r))),
      );
      expect(tome.json.keep).not.toEqual(none.json.keep);
      const bad = await kvtp('allocate', { ...paper, method: 'merge' }, backend);
      expect(bad.code).toBe(1);
      expect(bad.json.error.code).toBe('bad-input');
      expect(bad.json.error.message).toMatch(/unknown method "merge"/);
    });
  }
  // equal scores put every paper-mode budget on a whole-number boundary (r_i = ρ exactly): both
  // backends must keep floor(N·ρ) and the exact modes round(ρ·L·N) as worked out in integers
  const boundaries: [number, number, number][] = [
    [3, 0.3, 10],
    [9, 0.1, 10],
    [7, 0.7, 5],
    [12, 0.6, 196],
    [64, 0.9, 729],
  ];
  for (const [L, rho, N] of boundaries) {
    it(`equal scores, L ${L}, ρ ${rho}, N ${N}: CPU and GPU budgets equal, whole numbers kept`, async () => {
      const j = Math.round(rho * 10);
      const total = Math.floor((2 * j * L * N + 10) / 20);
      const expected = {
        paper: Array(L).fill(Math.floor((N * j) / 10)),
        exact: Array.from({ length: L }, (_, i) => Math.floor(total / L) + (i < total % L ? 1 : 0)),
        uniform: Array(L).fill(Math.floor((2 * j * N + 10) / 20)),
      };
      for (const mode of ['paper', 'exact', 'uniform'] as const) {
        const input = {
          scores: Array(L).fill(0.25),
          keepRatio: rho,
          temperature: 2,
          mode,
          tokensPerFrame: N,
        };
        const [cpu, gpu] = await Promise.all([
          kvtp('allocate', input, 'cpu'),
          kvtp('allocate', input, 'gpu'),
        ]);
        expect(cpu.json.keep, `cpu ${mode}`).toEqual(expected[mode]);
        expect(gpu.json.keep, `gpu ${mode}`).toEqual(expected[mode]);
      }
      // ToMe's paper count: N − floor(N·(1 − ρ)), worked out in integers
      const tome = {
        scores: Array(L).fill(0.25),
        keepRatio: rho,
        temperature: 2,
        mode: 'paper',
        tokensPerFrame: N,
        method: 'tome',
      };
      const [cpu, gpu] = await Promise.all([
        kvtp('allocate', tome, 'cpu'),
        kvtp('allocate', tome, 'gpu'),
      ]);
      const kept = Array(L).fill(N - Math.floor((N * (10 - j)) / 10));
      expect(cpu.json.keep, 'cpu paper ToMe').toEqual(kept);
      expect(gpu.json.keep, 'gpu paper ToMe').toEqual(kept);
    });
  }
  it('300 frames (more than one GPU workgroup has invocations): both backends agree', async () => {
    const scores = Array.from({ length: 300 }, (_, i) => (i % 7) / 2);
    const base = { scores, keepRatio: 0.25, temperature: 2, tokensPerFrame: 196 };
    for (const mode of ['paper', 'exact', 'uniform', 'hard'] as const) {
      const [cpu, gpu] = await Promise.all([
        kvtp('allocate', { ...base, mode }, 'cpu'),
        kvtp('allocate', { ...base, mode }, 'gpu'),
      ]);
      expect(cpu.code, mode).toBe(0);
      expect(gpu.code, mode).toBe(0);
      expect(gpu.json.keep, mode).toEqual(cpu.json.keep);
      if (mode === 'exact' || mode === 'hard') {
        expect((gpu.json.keep as number[]).reduce((a, b) => a + b, 0)).toBe(300 * 49);
      }
    }
  });
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
  // [grid, D, key width (0: the features), keep]; edge sizes first
  const shapes: [[number, number], number, number, number][] = [
    [[1, 1], 3, 0, 1],
    [[1, 2], 1, 0, 1],
    [[3, 1], 5, 2, 2],
    [[5, 3], 24, 8, 4],
    [[2, 3], 1152, 0, 3],
    [[27, 27], 6, 0, 146],
  ];
  for (const [grid, D, Dk, keep] of shapes) {
    const N = grid[0] * grid[1];
    for (const method of ['none', 'random', 'tome', 'prumerge'] as const) {
      it(`${method}, ${grid.join('×')} D ${D}${Dk ? ` keys ${Dk}` : ''} keep ${keep}: CPU and GPU agree with the reference`, async () => {
        const features = gaussianRows(N, D, N + D);
        const keys = Dk ? gaussianRows(N, Dk, N + Dk + 1) : undefined;
        const input = { method, grid, features, ...(keys && { keys }), keep, seed: 3 };
        const diag: ReduceDiagnostics = { margins: [] };
        const frames = reduceFramesCpu(
          {
            frames: 1,
            tokens: N,
            grid,
            dim: D,
            features: Float32Array.from(features.flat()),
            keyDim: Dk || D,
            keys: keys ? Float32Array.from(keys.flat()) : null,
            importance: null,
          },
          { method, keep: [keep], seed: 3 },
          diag,
        );
        const want = gatherCpu(frames, D);
        const keepOf = (m: string) => (m === 'none' ? N : keep);
        // a reference decision closer than 1e-4 (27×27 PruMerge: some kept token's 32nd and
        // 33rd neighbours) may go the other way in f32: then only rows with the same group are
        // compared, and they must be nearly all
        const nearTie = diag.margins[0]! < 1e-4;
        const runs = await Promise.all([kvtp('prune', input, 'cpu'), kvtp('prune', input, 'gpu')]);
        for (const [backend, tol, { code, json }] of [
          ['cpu', 1e-4, runs[0]],
          ['gpu', 2e-3, runs[1]],
        ] as const) {
          expect(code, backend).toBe(0);
          expect(json.indices.length, backend).toBe(want.indices.length);
          const loose = nearTie && backend === 'gpu';
          if (!loose) {
            expect(json.indices, backend).toEqual(Array.from(want.indices));
            expect(json.groups, backend).toEqual(want.groups);
          }
          let same = 0;
          (json.features as number[][]).forEach((row, r) => {
            if (json.indices[r] !== want.indices[r]) return;
            if (json.groups[r].join() !== want.groups[r]!.join()) return;
            same++;
            row.forEach((v, c) => {
              const w = want.features[r * D + c]!;
              expect(Math.abs(v - w), `${backend} row ${r}`).toBeLessThanOrEqual(
                tol * Math.max(1, Math.abs(w)),
              );
            });
          });
          expect(same, backend).toBeGreaterThanOrEqual(
            loose ? 0.9 * keepOf(method) : keepOf(method),
          );
        }
      });
    }
  }
  // the reference port's frames needing one to six rounds (odd grids, N = 3, k = 1)
  const url = new URL('../fixtures/tome-reference.json', import.meta.url);
  const fixture = JSON.parse(readFileSync(url, 'utf8')) as {
    cases: {
      name: string;
      rounds: number;
      input: { keep: number };
      indices: number[];
      features: number[][];
      groups: number[][];
    }[];
  };
  const picked = ['N=3 to 2', 'N=3 to 1', '3x5 to 4', '6x9 to 7', '3x3 to 1', '13x13 to 9'];
  for (const c of fixture.cases.filter((x) => picked.includes(x.name))) {
    it(`tome, ${c.name} (${c.rounds} rounds): CPU and GPU give the reference's ToMe`, async () => {
      const runs = await Promise.all([
        kvtp('prune', c.input, 'cpu'),
        kvtp('prune', c.input, 'gpu'),
      ]);
      for (const [backend, tol, { code, json }] of [
        ['cpu', 1e-4, runs[0]],
        ['gpu', 2e-3, runs[1]],
      ] as const) {
        expect(code, backend).toBe(0);
        expect(json.indices, backend).toEqual(c.indices);
        expect(json.groups, backend).toEqual(c.groups);
        c.features.forEach((row, r) => {
          const scale = Math.max(...row.map(Math.abs));
          row.forEach((x, i) =>
            expect(Math.abs(json.features[r][i] - x), `${backend} ${r}:${i}`).toBeLessThanOrEqual(
              tol * (backend === 'cpu' ? Math.max(Math.abs(x), 1e-3) : scale),
            ),
          );
        });
      }
    });
  }
  it('the fixture cases chosen need one to five rounds', () => {
    const rounds = fixture.cases.filter((x) => picked.includes(x.name)).map((x) => x.rounds);
    expect(new Set(rounds)).toEqual(new Set([1, 2, 3, 4, 5]));
  });

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
