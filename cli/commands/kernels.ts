// `kvtp allocate` and `kvtp prune`: the KVTP kernels on JSON input, with the CPU reference or
// the WGSL kernels run through Dawn (`--backend gpu`). JSON on stdout; errors as values.
//
//   allocate --input F.json   F = {"scores":[…],"keepRatio":0.2,"temperature":2,
//                                  "mode":"paper|exact|uniform|hard","tokensPerFrame":N,"minPerFrame":1,
//                                  "method":"none|random|tome|prumerge"}
//                             → {"rates":[…],"keep":[…]}   (paper budgets depend on the method:
//                               ToMe keeps N − ⌊N·(1 − r)⌋, the others ⌊N·min(r, 1)⌋; default none)
//   prune --input F.json      F = {"method":"none|random|tome|prumerge","grid":[h,w],
//                                  "features":[[…]…],"keys":[[…]…],"importance":[…],"keep":k,"seed":0}
//                             → {"indices":[…],"features":[[…]…],"groups":[[…]…]}

import { readFileSync } from 'node:fs';
import { parse } from '../args.ts';
import { errorValue, output } from '../output.ts';
import { nodeGpu } from '../node-gpu.ts';
import { acquireGpu } from '../../src/gpu/device.ts';
import { cpuBackend } from '../../src/kvtp/cpu.ts';
import { GpuKvtp } from '../../src/kvtp/gpu/index.ts';
import type {
  AllocationParams,
  FrameTokens,
  KvtpBackend,
  ReductionMethod,
} from '../../src/kvtp/types.ts';

class InputError extends Error {
  readonly code = 'bad-input';
}

function readInput(
  argv: string[],
  usage: string,
): { input: Record<string, unknown>; backend: 'cpu' | 'gpu' } {
  const { values, positionals } = parse(argv, {
    input: { type: 'string' },
    backend: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (!values.input || positionals.length) throw Object.assign(new Error(usage), { code: 'usage' });
  const backend = values.backend ?? 'cpu';
  if (backend !== 'cpu' && backend !== 'gpu') {
    throw Object.assign(new Error(`--backend must be cpu or gpu (got '${backend}')`), {
      code: 'usage',
    });
  }
  let text: string;
  try {
    text = readFileSync(values.input, 'utf8');
  } catch {
    throw Object.assign(new Error(`Cannot read ${values.input}`), { code: 'not-found' });
  }
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (e) {
    throw new InputError(`${values.input} is not JSON: ${(e as Error).message}`);
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InputError(`${values.input} must hold a JSON object`);
  }
  return { input: input as Record<string, unknown>, backend };
}

async function withBackend<T>(
  name: 'cpu' | 'gpu',
  run: (b: KvtpBackend) => Promise<T>,
): Promise<T> {
  if (name === 'cpu') return run(cpuBackend());
  const ctx = await acquireGpu(await nodeGpu());
  const backend = new GpuKvtp(ctx);
  try {
    return await run(backend);
  } finally {
    backend.dispose();
    ctx.device.destroy();
  }
}

function numbers(v: unknown, name: string): number[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    throw new InputError(`"${name}" must be an array of numbers`);
  }
  return v as number[];
}

function matrix(v: unknown, name: string, rows: number): { data: Float32Array; width: number } {
  if (!Array.isArray(v) || v.length !== rows)
    throw new InputError(`"${name}" must have ${rows} rows`);
  const width = Array.isArray(v[0]) ? (v[0] as unknown[]).length : 0;
  if (width < 1) throw new InputError(`"${name}" rows must be non-empty arrays of numbers`);
  const data = new Float32Array(rows * width);
  v.forEach((row, i) => {
    const r = numbers(row, `${name}[${i}]`);
    if (r.length !== width) throw new InputError(`"${name}" rows must all have width ${width}`);
    data.set(r, i * width);
  });
  return { data, width };
}

function optionalNumber(v: unknown, name: string): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new InputError(`"${name}" must be a number`);
  return v;
}

/** Any RangeError from the kernels' own checks is the input's fault. */
function asInputError(e: unknown): unknown {
  return e instanceof RangeError ? new InputError(e.message) : e;
}

export async function allocateCommand(argv: string[]): Promise<number> {
  const out = output(true);
  try {
    const { input, backend } = readInput(
      argv,
      'usage: kvtp allocate --input F.json [--backend cpu|gpu]',
    );
    const scores = numbers(input.scores, 'scores');
    const params: AllocationParams = {
      keepRatio: optionalNumber(input.keepRatio, 'keepRatio') ?? NaN,
      temperature: optionalNumber(input.temperature, 'temperature') ?? 2,
      mode: (input.mode ?? 'exact') as AllocationParams['mode'],
      ...(input.tokensPerFrame !== undefined && {
        tokensPerFrame: optionalNumber(input.tokensPerFrame, 'tokensPerFrame')!,
      }),
      ...(input.minPerFrame !== undefined && {
        minPerFrame: optionalNumber(input.minPerFrame, 'minPerFrame')!,
      }),
      method: (input.method ?? 'none') as ReductionMethod,
    };
    const result = await withBackend(backend, (b) => b.allocate(scores, params)).catch((e) => {
      throw asInputError(e);
    });
    return out.result(
      result.keep ? { rates: result.rates, keep: result.keep } : { rates: result.rates },
    );
  } catch (e) {
    const err = errorValue(e);
    return out.error(err, err.code === 'usage' ? 2 : 1);
  }
}

export async function pruneCommand(argv: string[]): Promise<number> {
  const out = output(true);
  try {
    const { input, backend } = readInput(
      argv,
      'usage: kvtp prune --input F.json [--backend cpu|gpu]',
    );
    const grid = numbers(input.grid, 'grid');
    if (grid.length !== 2 || !grid.every((g) => Number.isInteger(g) && g >= 1)) {
      throw new InputError('"grid" must be [h, w] with positive integers');
    }
    const N = grid[0]! * grid[1]!;
    const features = matrix(input.features, 'features', N);
    const keys = input.keys === undefined ? null : matrix(input.keys, 'keys', N);
    const importance =
      input.importance === undefined ? null : numbers(input.importance, 'importance');
    if (importance && importance.length !== N)
      throw new InputError(`"importance" must have ${N} numbers`);
    const method = (input.method ?? 'none') as ReductionMethod;
    const keep = optionalNumber(input.keep, 'keep') ?? N;
    const tokens: FrameTokens = {
      frames: 1,
      tokens: N,
      grid: [grid[0]!, grid[1]!],
      dim: features.width,
      features: features.data,
      keyDim: keys?.width ?? features.width,
      keys: keys?.data ?? null,
      importance: importance ? Float32Array.from(importance) : null,
    };
    const seed = optionalNumber(input.seed, 'seed') ?? 0;
    const r = await withBackend(backend, (b) =>
      b.reduce(tokens, { method, keep: [keep], seed }),
    ).catch((e) => {
      throw asInputError(e);
    });
    const D = tokens.dim;
    return out.result({
      indices: Array.from(r.indices),
      features: Array.from({ length: r.indices.length }, (_, i) =>
        Array.from(r.features.subarray(i * D, (i + 1) * D)),
      ),
      groups: r.groups,
    });
  } catch (e) {
    const err = errorValue(e);
    return out.error(err, err.code === 'usage' ? 2 : 1);
  }
}
