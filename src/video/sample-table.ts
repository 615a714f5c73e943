// A video track's samples as compact typed arrays in decode order (times, byte ranges, keyframe
// flags), and its presentation window from the edit list. Pure: knows nothing of mp4box objects
// beyond the fields it copies, reads no bytes, decodes nothing.

/** One sample as the demuxer gives it (mp4box's Sample has these fields). */
export interface SampleRecord {
  readonly dts: number;
  readonly cts: number;
  readonly duration: number;
  readonly offset: number;
  readonly size: number;
  readonly is_sync: boolean;
}

/** One edit-list entry (elst): `mediaTime` −1 is an empty edit (a delay). */
export interface EditRecord {
  /** In the movie's timescale. */
  readonly segment_duration: number;
  /** In the media's timescale. */
  readonly media_time: number;
}

export interface SampleTable {
  /** Media time units per second. */
  readonly timescale: number;
  /** Number of samples, in decode order. */
  readonly count: number;
  readonly dts: Float64Array;
  readonly cts: Float64Array;
  readonly duration: Float64Array;
  /** File offset and size of each sample's bytes. */
  readonly offset: Float64Array;
  readonly size: Uint32Array;
  /** 1 for a sync sample (keyframe). */
  readonly sync: Uint8Array;
  /** Composition time (media units) of the presentation's start: frame times count from here. */
  readonly start: number;
  /** Composition time (media units) where the presentation ends (exclusive). */
  readonly end: number;
}

/**
 * Build the table. The presentation window comes from the first non-empty edit (its media time
 * and the total duration of the non-empty edits: ffmpeg's B-frame delay and trims) and, without
 * an edit list, spans the samples' composition times. Edit lists that cut out pieces in the
 * middle are taken as one window from the first edit's start.
 */
export function buildSampleTable(
  samples: ArrayLike<SampleRecord>,
  timescale: number,
  edits: readonly EditRecord[] = [],
  movieTimescale = timescale,
): SampleTable {
  const count = samples.length;
  const table = {
    timescale,
    count,
    dts: new Float64Array(count),
    cts: new Float64Array(count),
    duration: new Float64Array(count),
    offset: new Float64Array(count),
    size: new Uint32Array(count),
    sync: new Uint8Array(count),
  };
  let firstCts = Infinity;
  let lastEnd = -Infinity;
  for (let i = 0; i < count; i++) {
    const s = samples[i]!;
    table.dts[i] = s.dts;
    table.cts[i] = s.cts;
    table.duration[i] = s.duration;
    table.offset[i] = s.offset;
    table.size[i] = s.size;
    table.sync[i] = s.is_sync ? 1 : 0;
    firstCts = Math.min(firstCts, s.cts);
    lastEnd = Math.max(lastEnd, s.cts + s.duration);
  }
  if (count === 0) return { ...table, start: 0, end: 0 };
  const shown = edits.filter((e) => e.media_time >= 0);
  let start = firstCts;
  let end = lastEnd;
  if (shown.length > 0) {
    start = shown[0]!.media_time;
    const length = shown.reduce((sum, e) => sum + e.segment_duration, 0);
    if (length > 0) end = Math.min(lastEnd, start + (length * timescale) / movieTimescale);
  }
  if (!(end > start)) end = lastEnd; // a window outside the samples: show them all
  if (!(end > start)) start = firstCts;
  return { ...table, start, end };
}

/** Seconds from the presentation start to sample `i`'s presentation time. */
export function sampleTime(table: SampleTable, i: number): number {
  return (table.cts[i]! - table.start) / table.timescale;
}

/** Duration of the presentation in seconds. */
export function presentationDuration(table: SampleTable): number {
  return (table.end - table.start) / table.timescale;
}

/** Samples shown in the presentation window, as decode indices in presentation order. */
export function presentationOrder(table: SampleTable): Uint32Array {
  const shown: number[] = [];
  for (let i = 0; i < table.count; i++) {
    const c = table.cts[i]!;
    if (c >= table.start && c < table.end) shown.push(i);
  }
  const order = Uint32Array.from(shown);
  order.sort((a, b) => table.cts[a]! - table.cts[b]! || a - b);
  return order;
}

/** The decoder's timestamp (integer microseconds) of sample `i`. */
export function chunkTimestamp(table: SampleTable, i: number): number {
  return Math.round(((table.cts[i]! - table.start) * 1e6) / table.timescale);
}
