// Frame sampling as a plan, before any decoding: which L frames to keep and which decode-order
// sample ranges the decoder must see to produce them. Pure: reads no bytes, touches no decoder.
//
// Targets sit at the centres of L equal segments of the presentation, t_i = (i + ½)·D/L, so the
// frames spread evenly over the whole video and the last one is within D/(2L) of its end. Each
// target takes the shown frame nearest to it; when two targets would take the same frame (a
// variable frame rate's gaps), the later one moves on to the next frame, so times strictly
// increase. A video with no more frames than asked gives all of its frames (frames before the
// first keyframe in decode order, which no decoder can produce, are never picked).
// Each kept frame needs the decoder to start at the keyframe before it (in decode order) and run
// up to the frame itself; these ranges are merged when they overlap or touch, and nothing outside
// them is decoded.

import {
  presentationDuration,
  presentationOrder,
  sampleTime,
  type SampleTable,
} from './sample-table.ts';

/** An inclusive range of decode-order sample indices, starting at a keyframe. */
export interface DecodeRange {
  readonly first: number;
  readonly last: number;
}

/** A frame to keep: its index among the kept frames, its sample and its time in seconds. */
export interface FramePick {
  readonly index: number;
  readonly sample: number;
  readonly t: number;
  /** The time it was chosen for (seconds); equal to `t` when the video gives all its frames. */
  readonly target: number;
}

export interface SamplingPlan {
  /** Number of frames the presentation shows. */
  readonly shownFrames: number;
  readonly picks: readonly FramePick[];
  readonly ranges: readonly DecodeRange[];
  /** Samples the decoder will be given in total. */
  readonly decodeCount: number;
}

/** The L target times (seconds): centres of L equal segments of `duration`. */
export function targetTimes(duration: number, frames: number): number[] {
  return Array.from({ length: frames }, (_, i) => ((i + 0.5) * duration) / frames);
}

/** Plan the sampling of `frames` frames from `table`. */
export function planSampling(table: SampleTable, frames: number): SamplingPlan {
  const shown = presentationOrder(table);
  // Frames decoded before the first keyframe (a stream cut mid-GOP) cannot be decoded at all.
  const firstKey = table.sync.indexOf(1);
  const order = firstKey > 0 ? shown.filter((s) => s >= firstKey) : shown;
  const times = Array.from(order, (s) => sampleTime(table, s));
  let chosen: number[]; // positions in `order`
  let targets: number[];
  if (order.length <= frames) {
    chosen = times.map((_, p) => p);
    targets = times;
  } else {
    targets = targetTimes(presentationDuration(table), frames);
    chosen = distinctIncreasing(
      targets.map((t) => nearest(times, t)),
      order.length,
    );
  }
  const picks = chosen.map((p, index) => ({
    index,
    sample: order[p]!,
    t: times[p]!,
    target: targets[index]!,
  }));
  const ranges = mergeRanges(picks.map((pick) => decodeRangeFor(table, pick.sample)));
  const decodeCount = ranges.reduce((n, r) => n + r.last - r.first + 1, 0);
  return { shownFrames: shown.length, picks, ranges, decodeCount };
}

/** Position of the time in ascending `times` nearest to `t` (the earlier one on a tie). */
export function nearest(times: readonly number[], t: number): number {
  let lo = 0;
  let hi = times.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (times[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  if (lo > 0 && t - times[lo - 1]! <= times[lo]! - t) return lo - 1;
  return lo;
}

/**
 * Make positions strictly increasing within [0, n) with the least movement that keeps their
 * order: push each up past its predecessor, then pull the tail back under n.
 */
export function distinctIncreasing(positions: readonly number[], n: number): number[] {
  const out = positions.slice();
  for (let i = 1; i < out.length; i++) out[i] = Math.max(out[i]!, out[i - 1]! + 1);
  for (let i = out.length - 1; i >= 0; i--) {
    const cap = i === out.length - 1 ? n - 1 : out[i + 1]! - 1;
    out[i] = Math.min(out[i]!, cap);
  }
  return out;
}

/** Decode index of the keyframe to start from for sample `s` (0 when there is none before it). */
export function keyframeBefore(table: SampleTable, s: number): number {
  let k = s;
  while (k > 0 && !table.sync[k]) k--;
  // A leading picture of an open GOP (shown before its keyframe) also needs the previous GOP.
  if (k > 0 && table.cts[s]! < table.cts[k]!) {
    k--;
    while (k > 0 && !table.sync[k]) k--;
  }
  return k;
}

function decodeRangeFor(table: SampleTable, s: number): DecodeRange {
  return { first: keyframeBefore(table, s), last: s };
}

/** Merge ranges that overlap or touch; the result is sorted and disjoint. */
export function mergeRanges(ranges: readonly DecodeRange[]): DecodeRange[] {
  const sorted = ranges.slice().sort((a, b) => a.first - b.first || a.last - b.last);
  const merged: { first: number; last: number }[] = [];
  for (const r of sorted) {
    const prev = merged[merged.length - 1];
    if (prev && r.first <= prev.last + 1) prev.last = Math.max(prev.last, r.last);
    else merged.push({ first: r.first, last: r.last });
  }
  return merged;
}
