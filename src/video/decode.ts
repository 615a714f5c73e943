// The WebCodecs decoder driver: feed the planned decode ranges in decode order, each starting at
// a keyframe and ending with a flush; hand over the frames that were asked for and close every
// other frame the moment it appears. The decode queue is bounded (backpressure), a watchdog turns
// a stalled decoder into an error, and an abort closes the decoder at once. It never decodes a
// sample outside the ranges, nor an unwanted one that no other frame refers to (`skip`), and
// never keeps a frame it was not asked for.

import { throwIfAborted } from '../core/errors.ts';
import type { ByteSource } from './byte-source.ts';
import { videoErrors } from './errors.ts';
import type { DecodeRange } from './plan.ts';
import { sampleBytes, type SampleBytes } from './sample-bytes.ts';
import { chunkTimestamp, type SampleTable } from './sample-table.ts';

export interface DecodeJob {
  readonly config: VideoDecoderConfig;
  readonly source: ByteSource;
  readonly table: SampleTable;
  readonly ranges: readonly DecodeRange[];
  /** The ranges' samples with their bytes, when not read by the table's offsets (Matroska). */
  readonly samples?: (ranges: readonly DecodeRange[]) => AsyncIterable<SampleBytes>;
  /** Decoder timestamps (µs) of the wanted frames → the caller's key for each. */
  readonly wanted: ReadonlyMap<number, number>;
  /** A wanted frame; the callee owns it and must close it. Called at most once per key. */
  onFrame(key: number, frame: VideoFrame): void;
  /** Progress over the planned samples (decoded or skipped). */
  onProgress?(done: number, total: number): void;
  /** Whether a sample whose picture is not wanted may be left out (no frame refers to it). */
  readonly skip?: (data: Uint8Array) => boolean;
  readonly signal?: AbortSignal;
  /** Longest time without any sign of progress from the decoder before giving up (ms). */
  readonly stallMs?: number;
}

/** Chunks waiting in the decoder before we stop feeding it. */
const MAX_QUEUE = 8;
const DEFAULT_STALL_MS = 20_000;
const POLL_MS = 50;

/** Decode the ranges; resolves to the number of samples given to the decoder. */
export async function decodeRanges(job: DecodeJob): Promise<number> {
  const { table, ranges, wanted, signal } = job;
  const name = job.source.name;
  const stallMs = job.stallMs ?? DEFAULT_STALL_MS;
  const total = ranges.reduce((n, r) => n + r.last - r.first + 1, 0);
  let failure: unknown = null;
  let lastActivity = performance.now();
  let wake: (() => void) | null = null;
  const poke = () => {
    lastActivity = performance.now();
    wake?.();
  };
  const delivered = new Set<number>();
  const decoder = new VideoDecoder({
    output: (frame) => {
      poke();
      const key = wanted.get(frame.timestamp);
      if (key === undefined || delivered.has(key)) {
        frame.close();
        return;
      }
      delivered.add(key);
      job.onFrame(key, frame);
    },
    error: (e) => {
      failure ??= videoErrors.corrupt(name, `the video decoder failed (${e.message})`, e);
      wake?.();
    },
  });
  decoder.addEventListener('dequeue', poke);
  const onAbort = () => wake?.();
  signal?.addEventListener('abort', onAbort);

  /** Throw the first failure, an abort, or a stall. */
  const check = () => {
    throwIfAborted(signal);
    if (failure) throw failure;
    if (performance.now() - lastActivity > stallMs) {
      throw videoErrors.corrupt(
        name,
        `the video decoder stopped responding for ${Math.round(stallMs / 1000)} s`,
      );
    }
  };
  /** Wait until `ready()` (or a failure), waking on decoder events and on a short timer. */
  const until = async (ready: () => boolean) => {
    check();
    while (!ready()) {
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, POLL_MS);
      });
      wake = null;
      check();
    }
  };
  /** A decoder promise (flush), under the same watchdog and abort. */
  const settle = async (p: Promise<void>) => {
    let done = false;
    let error: unknown = null;
    p.then(
      () => (done = true),
      (e: unknown) => ((error = e), (done = true)),
    ).finally(() => wake?.());
    await until(() => done);
    if (error) {
      check(); // prefer the decoder's own error to the flush rejection it causes
      throw videoErrors.corrupt(name, 'the video decoder failed', error);
    }
  };

  /** Run a decoder call; what it throws becomes the decoder's own failure, or `corrupt`. */
  const call = (f: () => void) => {
    try {
      f();
    } catch (e) {
      check();
      throw videoErrors.corrupt(name, 'the video decoder refused the data', e);
    }
  };

  let decoded = 0;
  let done = 0;
  let r = 0; // the range being decoded; samples come in decode order, range after range
  try {
    call(() => decoder.configure(job.config));
    const samples = job.samples?.(ranges) ?? sampleBytes(job.source, table, ranges);
    for await (const { sample, data } of samples) {
      const range = ranges[r]!;
      const timestamp = chunkTimestamp(table, sample);
      done++;
      const unneeded = sample !== range.first && !wanted.has(timestamp) && job.skip?.(data);
      if (!unneeded) {
        await until(() => decoder.decodeQueueSize < MAX_QUEUE);
        const chunk = new EncodedVideoChunk({
          type: sample === range.first || table.sync[sample] ? 'key' : 'delta',
          timestamp,
          duration: Math.round((table.duration[sample]! * 1e6) / table.timescale),
          data,
        });
        call(() => decoder.decode(chunk));
        lastActivity = performance.now(); // the watchdog times the decoder, not our reads
        decoded++;
      }
      job.onProgress?.(done, total);
      if (sample === range.last) {
        // The next range's first bytes are read meanwhile (sampleBytes reads one batch ahead).
        lastActivity = performance.now();
        await settle(decoder.flush());
        r++;
      }
    }
    check();
    return decoded;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    decoder.removeEventListener('dequeue', poke);
    if (decoder.state !== 'closed') decoder.close();
  }
}
