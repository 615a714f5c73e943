// Loads the model at argv[2] on ONNX Runtime Web's WebGPU provider (Dawn in Node) with verbose
// logging: its node placement log goes to this process's output, which the test reads (ORT's wasm
// writes it straight to the process's streams) and stops the process once the session is made
// (in Node the creation does not always settle).
import { readFileSync } from 'node:fs';
import { create, globals } from 'webgpu';

Object.assign(globalThis, globals);
globalThis.navigator ??= {};
Object.defineProperty(globalThis.navigator, 'gpu', { value: create([]), configurable: true });
const ort = await import('onnxruntime-web/webgpu');
ort.env.logLevel = 'verbose';
void ort.InferenceSession.create(readFileSync(process.argv[2]), {
  executionProviders: ['webgpu'],
  logSeverityLevel: 0,
  logVerbosityLevel: 0,
});
