// Why SigLIP's `quantized` variant is not used on WebGPU: ONNX Runtime's WebGPU provider has no
// kernels for dynamic int8 quantization, so those nodes land on its CPU provider, with copies
// between the two. Checked on the fixture relevance towers' `_quantized` variant (uint8
// DynamicQuantizeLinear + MatMulInteger, as Xenova's exports) against the fp32 variant the registry
// chooses for WebGPU, from ONNX Runtime's own node placement log (Dawn in Node; ort-placement.mjs
// runs in a process of its own because ORT's wasm writes that log straight to the process output).
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { chooseVariant, variantPaths } from '../../src/models/manifest.ts';
import { FIXTURE_RELEVANCE, SIGLIP_BASE } from '../../src/models/registry.ts';

const ROOT = new URL('../../public/models/fixture-relevance/', import.meta.url).pathname;
const PROBE = new URL('./ort-placement.mjs', import.meta.url).pathname;

/** ORT's log while it makes a session for `path` on WebGPU (up to "Session successfully initialized"). */
function sessionLog(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('node', [PROBE, path], { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    const read = (chunk: Buffer) => {
      log += chunk.toString();
      if (/Session successfully initialized|ERROR/.test(log)) child.kill();
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.on('error', reject);
    child.on('close', () => resolve(log));
  });
}

/** Ops ONNX Runtime places on its CPU provider when `path` runs on WebGPU. */
async function cpuOps(path: string): Promise<string[]> {
  const log = await sessionLog(path);
  expect(log, 'ONNX Runtime logged its node placements').toMatch(/Node placements/);
  // "Node(s) placed on [CPUExecutionProvider]. Number of nodes: n", then "  Op (name)" per node
  const ops: string[] = [];
  let onCpu = false;
  for (const line of log.split('\n')) {
    if (/Node\(s\) placed on \[/.test(line)) onCpu = line.includes('[CPUExecutionProvider]');
    else if (onCpu) {
      const m = /VerifyEachNodeIsAssignedToAnEp\]\s+(\w+) \(/.exec(line);
      if (m) ops.push(m[1]!);
      else onCpu = false;
    }
  }
  return ops;
}

describe('SigLIP variants on WebGPU', () => {
  it('int8 `quantized` runs its matmuls on the CPU provider; fp32, the registry’s choice, does not', async () => {
    const file = FIXTURE_RELEVANCE.files.textModel;
    const quantized = await cpuOps(ROOT + variantPaths(file, 'quantized').model);
    expect(quantized).toEqual(expect.arrayContaining(['DynamicQuantizeLinear', 'MatMulInteger']));
    const fp32 = await cpuOps(ROOT + variantPaths(file, 'fp32').model);
    expect(fp32.filter((op) => /MatMul|Gemm|Quantize/.test(op))).toEqual([]);
    expect(chooseVariant(SIGLIP_BASE.variants, { provider: 'webgpu', hasF16: false })).toBe('fp32');
  });
});
