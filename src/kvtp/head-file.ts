// The learned predictor head's weights, read from a safetensors file in the relevance model's
// package (`predictor_head.safetensors`): tensors `w1` [H, 3E], `b1` [H], `w2` [1, H] or [H],
// `b2` [1] or [], F32, and metadata `activation` ("gelu" default, or "relu").
// safetensors: an 8-byte little-endian header length, a JSON header (name → dtype, shape,
// data_offsets; "__metadata__" → string map), then the raw little-endian data.

import type { MlpHeadWeights } from './types.ts';

export class HeadFileError extends Error {
  readonly code = 'bad-model';
}

interface TensorInfo {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/** Parse a predictor head file; throws HeadFileError with a plain message when it is not one. */
export function parseHeadFile(bytes: ArrayBuffer): MlpHeadWeights {
  const fail = (why: string): never => {
    throw new HeadFileError(`The predictor head file is not usable: ${why}`);
  };
  if (bytes.byteLength < 8) fail('it is too short');
  const view = new DataView(bytes);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > bytes.byteLength - 8) fail('its header is cut off');
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(new Uint8Array(bytes, 8, headerLength))) as Record<
      string,
      unknown
    >;
  } catch {
    return fail('its header is not JSON');
  }
  const dataStart = 8 + headerLength;
  const tensor = (name: string, size: number): Float32Array => {
    const info = header[name] as TensorInfo | undefined;
    if (!info) return fail(`tensor "${name}" is missing`);
    if (info.dtype !== 'F32') fail(`tensor "${name}" is ${info.dtype}, not F32`);
    const count = info.shape.reduce((a, b) => a * b, 1);
    if (count !== size) fail(`tensor "${name}" has ${count} values, expected ${size}`);
    const [start, end] = info.data_offsets;
    if (end - start !== 4 * size || dataStart + end > bytes.byteLength) {
      fail(`tensor "${name}" lies outside the file`);
    }
    // copy: the data need not be 4-byte aligned inside the file
    return new Float32Array(bytes.slice(dataStart + start, dataStart + end));
  };
  const w1Info = header.w1 as TensorInfo | undefined;
  if (!w1Info || w1Info.shape.length !== 2 || w1Info.shape[1]! % 3 !== 0) {
    return fail('tensor "w1" must be [hidden, 3 × embedding width]');
  }
  const hidden = w1Info.shape[0]!;
  const inputDim = w1Info.shape[1]! / 3;
  const meta = (header.__metadata__ ?? {}) as Record<string, string>;
  const activation = meta.activation ?? 'gelu';
  if (activation !== 'gelu' && activation !== 'relu') fail(`unknown activation "${activation}"`);
  return {
    inputDim,
    hidden,
    activation: activation as 'gelu' | 'relu',
    w1: tensor('w1', hidden * 3 * inputDim),
    b1: tensor('b1', hidden),
    w2: tensor('w2', hidden),
    b2: tensor('b2', 1)[0]!,
  };
}

/** Write a head as a safetensors file (for tests and tools written in TypeScript). */
export function writeHeadFile(w: MlpHeadWeights): ArrayBuffer {
  const parts: [string, Float32Array, number[]][] = [
    ['b1', w.b1, [w.hidden]],
    ['b2', Float32Array.of(w.b2), [1]],
    ['w1', w.w1, [w.hidden, 3 * w.inputDim]],
    ['w2', w.w2, [1, w.hidden]],
  ];
  const header: Record<string, unknown> = { __metadata__: { activation: w.activation } };
  let offset = 0;
  for (const [name, data, shape] of parts) {
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + data.byteLength] };
    offset += data.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let at = 8 + head.length;
  for (const [, data] of parts) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
    at += data.byteLength;
  }
  return out.buffer;
}
