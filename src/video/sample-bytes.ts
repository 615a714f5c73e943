// The bytes of the samples to decode, in decode order, read by their offsets and sizes. Samples
// that lie next to each other in the file (a GOP, possibly interleaved with small audio chunks)
// are read together, up to a bounded batch, and the next batch is read while the current one is
// decoded. Memory stays at two batches whatever the file's size; nothing outside the ranges is read.

import type { ByteSource } from './byte-source.ts';
import type { DecodeRange } from './plan.ts';
import type { SampleTable } from './sample-table.ts';

export interface SampleBytes {
  /** Decode-order index of the sample. */
  readonly sample: number;
  readonly data: Uint8Array;
}

export interface BatchLimits {
  /** Largest read (bytes); a bigger sample is read alone. */
  readonly maxBatch: number;
  /** Largest hole between two samples read together (other tracks' data, thrown away). */
  readonly maxGap: number;
}

export const DEFAULT_LIMITS: BatchLimits = { maxBatch: 4 << 20, maxGap: 64 << 10 };

interface Batch {
  readonly first: number;
  readonly last: number;
  readonly start: number;
  readonly end: number;
}

/** Group the samples of `ranges` into reads: consecutive samples, ascending in the file, close. */
export function planReads(
  table: SampleTable,
  ranges: readonly DecodeRange[],
  limits: BatchLimits = DEFAULT_LIMITS,
): Batch[] {
  const batches: Batch[] = [];
  for (const { first, last } of ranges) {
    let b: { first: number; last: number; start: number; end: number } | null = null;
    for (let s = first; s <= last; s++) {
      const start = table.offset[s]!;
      const end = start + table.size[s]!;
      if (
        b &&
        start >= b.end &&
        start - b.end <= limits.maxGap &&
        end - b.start <= limits.maxBatch
      ) {
        b.last = s;
        b.end = end;
        continue;
      }
      if (b) batches.push(b);
      b = { first: s, last: s, start, end };
    }
    if (b) batches.push(b);
  }
  return batches;
}

/** Every sample of `ranges`, in decode order, with its bytes. */
export async function* sampleBytes(
  source: ByteSource,
  table: SampleTable,
  ranges: readonly DecodeRange[],
  limits: BatchLimits = DEFAULT_LIMITS,
): AsyncGenerator<SampleBytes> {
  const batches = planReads(table, ranges, limits);
  const read = (b: Batch) => source.read(b.start, b.end - b.start);
  let next = batches.length > 0 ? read(batches[0]!) : null;
  for (let i = 0; i < batches.length; i++) {
    const batch = batches[i]!;
    const bytes = await next!;
    next = i + 1 < batches.length ? read(batches[i + 1]!) : null;
    // An unawaited read that fails while we are stopped must not surface as an unhandled rejection.
    next?.catch(() => {});
    for (let s = batch.first; s <= batch.last; s++) {
      const at = table.offset[s]! - batch.start;
      yield { sample: s, data: bytes.subarray(at, at + table.size[s]!) };
    }
  }
}
