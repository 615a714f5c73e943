// Parity check of the exported demo ONNX models in onnxruntime-web (wasm, Node): runs every
// case of a parity file written by export.py and compares each output with the torch reference.
// Usage: node tools/demo/verify_onnx.mjs PARITY.json   (exit code 1 on any mismatch)
// Reads files only; never downloads anything.

import fs from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-web';

ort.env.wasm.numThreads = 1;

const DTYPES = { float32: Float32Array, int64: BigInt64Array, bool: Uint8Array };

function tensor(spec) {
  const bytes = Buffer.from(spec.data, 'base64');
  const Ctor = DTYPES[spec.dtype];
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  const data = new Ctor(copy.buffer, 0, bytes.length / Ctor.BYTES_PER_ELEMENT);
  return new ort.Tensor(spec.dtype, data, spec.dims);
}

function compare(name, got, want, tol) {
  const a = got.data;
  const b = tensor(want).data;
  if (a.length !== b.length) return `${name}: ${a.length} values where ${b.length} were expected`;
  if (JSON.stringify(got.dims) !== JSON.stringify(want.dims)) {
    return `${name}: dims ${JSON.stringify(got.dims)} where ${JSON.stringify(want.dims)} were expected`;
  }
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(Number(a[i]) - Number(b[i])));
    scale = Math.max(scale, Math.abs(Number(b[i])));
  }
  const limit = tol.abs + tol.rel * scale;
  return worst <= limit ? null : `${name}: max |diff| ${worst} > ${limit} (scale ${scale})`;
}

const file = process.argv[2];
const cases = JSON.parse(fs.readFileSync(file, 'utf8'));
let failures = 0;
for (const c of cases) {
  const model = path.resolve(path.dirname(file), c.model);
  const session = await ort.InferenceSession.create(fs.readFileSync(model));
  const feeds = Object.fromEntries(Object.entries(c.feeds).map(([k, v]) => [k, tensor(v)]));
  const out = await session.run(feeds);
  const problems = Object.entries(c.expected)
    .map(([k, v]) => (out[k] ? compare(k, out[k], v, c.tolerance) : `${k}: missing output`))
    .filter(Boolean);
  failures += problems.length;
  console.log(`${problems.length ? 'FAIL' : 'ok  '} ${c.name} (${c.model})`);
  for (const p of problems) console.log(`     ${p}`);
}
process.exit(failures ? 1 : 0);
