// The learned predictor head's safetensors file: read back what was written, and plain errors
// for files that are not a head. The file written by tools/ (Python) uses the same layout.
import { describe, expect, it } from 'vitest';
import { parseHeadFile, writeHeadFile } from '../../src/kvtp/head-file.ts';
import type { MlpHeadWeights } from '../../src/kvtp/types.ts';

const head: MlpHeadWeights = {
  inputDim: 3,
  hidden: 2,
  activation: 'relu',
  w1: Float32Array.from({ length: 18 }, (_, i) => i / 10),
  b1: Float32Array.of(0.5, -0.5),
  w2: Float32Array.of(2, -1),
  b2: 0.25,
};

describe('predictor head file', () => {
  it('round-trips every tensor and the activation', () => {
    const back = parseHeadFile(writeHeadFile(head));
    expect(back).toEqual(head);
  });
  it('defaults to GELU when the metadata says nothing', () => {
    const bytes = new Uint8Array(writeHeadFile(head));
    const text = new TextDecoder().decode(bytes);
    const patched = new TextEncoder().encode(
      text.replace('"activation":"relu"', '"activation":"gelu"'),
    );
    expect(parseHeadFile(patched.buffer).activation).toBe('gelu');
  });
  it('explains what is wrong with a bad file', () => {
    expect(() => parseHeadFile(new ArrayBuffer(4))).toThrow(/too short/);
    const bytes = new Uint8Array(writeHeadFile(head));
    expect(() => parseHeadFile(bytes.slice(0, 40).buffer)).toThrow(/header is cut off/);
    const noB1 = new TextEncoder().encode(new TextDecoder().decode(bytes).replace('"b1"', '"bx"'));
    expect(() => parseHeadFile(noB1.buffer)).toThrow(/"b1" is missing/);
    expect(() => parseHeadFile(bytes.slice(0, bytes.length - 4).buffer)).toThrow(
      /outside the file/,
    );
  });
});
