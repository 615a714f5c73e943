// `npm run bench:kernels`: the KVTP reduction (per-frame selection or merging, layout, gather)
// on the three shapes at keep ratio 0.2 with KVTP budgets, the CPU reference and the
// WGSL kernels side by side, in Node (Dawn) and in headless Chromium (the pipeline worker),
// on this machine's WebGPU (SwiftShader on CPU-only machines). Both sides are medians of --runs
// after one warm-up run; the GPU side is the engine's own per-device KVTP backend and buffer pool
// (src/engine/device.ts), in Node as in the worker, so it measures what questions run. Prints numbers and ratios;
// asserts nothing. Options: --runs N (runs per cell, default 3), --shapes 0,1,2,
// --methods random,tome,prumerge, --no-cpu, --no-browser.

import { parseArgs } from 'node:util';
import { ensureBuilt } from '../cli/build.ts';
import { openSession } from '../cli/browser.ts';
import { nodeGpu } from '../cli/node-gpu.ts';
import { DeviceSlot } from '../src/engine/device.ts';
import { acquireGpu } from '../src/gpu/device.ts';
import { BENCH_SHAPES, benchShape, type BenchRow } from '../src/kvtp/bench.ts';
import type { ReductionMethod } from '../src/kvtp/types.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    shapes: { type: 'string', default: '0,1,2' },
    methods: { type: 'string', default: 'random,tome,prumerge' },
    'no-cpu': { type: 'boolean', default: false },
    'no-browser': { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs);
const shapes = values.shapes.split(',').map((i) => BENCH_SHAPES[Number(i)]!);
const methods = values.methods.split(',') as ReductionMethod[];
const cpu = !values['no-cpu'];
const args = { keepRatio: 0.2, runs, cpu };

const ms = (x: number | null | undefined) =>
  x == null ? '—' : x >= 100 ? `${x.toFixed(0)} ms` : `${x.toFixed(1)} ms`;
const ratio = (a: number | null | undefined, b: number | null | undefined) =>
  a == null || b == null ? '—' : `${(a / b).toFixed(1)}×`;

async function main() {
  console.log(
    `bench:kernels — keep ratio 0.2 (KVTP exact budgets), CPU and GPU medians of ${runs} runs after a warm-up`,
  );
  const gpu = await nodeGpu();
  const resources = await new DeviceSlot(() => acquireGpu(gpu)).resources();
  const { ctx } = resources;
  const { vendor, architecture, description } = ctx.adapterInfo;
  console.log(`  Node: Dawn on ${[vendor, architecture, description].filter(Boolean).join(' ')}`);
  const node: BenchRow[] = [];
  for (const shape of shapes) {
    process.stdout.write(`  Node: ${shape.name} …\n`);
    node.push(...(await benchShape(resources, shape, methods, args)));
  }
  ctx.device.destroy();

  let browser: BenchRow[] = [];
  if (!values['no-browser']) {
    await ensureBuilt((line) => console.log(`  ${line}`));
    const session = await openSession();
    try {
      process.stdout.write('  Chromium: running in the pipeline worker …\n');
      const outcome = await session.request<{ rows: BenchRow[] }>('benchKernels', {
        shapes,
        methods,
        ...args,
      });
      if (outcome.error) throw new Error(`${outcome.error.code}: ${outcome.error.message}`);
      browser = outcome.result.rows;
    } finally {
      await session.close();
    }
  }

  const head = [
    'shape',
    'method',
    'kept',
    'Node CPU',
    'Node GPU',
    'CPU/GPU',
    'Chromium CPU',
    'Chromium GPU',
    'CPU/GPU',
  ];
  const rows = node.map((r, i) => {
    const b = browser[i];
    return [
      r.shape,
      r.method,
      String(r.keptTokens),
      ms(r.cpuMs),
      ms(r.gpuMs),
      ratio(r.cpuMs, r.gpuMs),
      ms(b?.cpuMs),
      ms(b?.gpuMs),
      ratio(b?.cpuMs, b?.gpuMs),
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  console.log('');
  console.log(line(head));
  for (const r of rows) console.log(line(r));
}

await main();
