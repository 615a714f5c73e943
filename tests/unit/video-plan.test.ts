// Frame-sampling plans (src/video/plan.ts) and sample tables (src/video/sample-table.ts): which
// frames are kept, which decode ranges produce them, on synthetic tables with known answers and
// on real ffmpeg-made files.
import { describe, expect, it } from 'vitest';
import { ByteSource } from '../../src/video/byte-source.ts';
import { demux } from '../../src/video/demux.ts';
import {
  distinctIncreasing,
  keyframeBefore,
  mergeRanges,
  nearest,
  planSampling,
  targetTimes,
  type SamplingPlan,
} from '../../src/video/plan.ts';
import {
  buildSampleTable,
  presentationDuration,
  presentationOrder,
  sampleTime,
  type SampleRecord,
  type SampleTable,
} from '../../src/video/sample-table.ts';
import { fileBlob, testVideo, type VideoName } from '../fixtures/videos.ts';

/** A constant-rate track: `n` frames of `d` units, keyframe every `gop`, B-frame style reorder. */
function track(n: number, gop: number, options: { d?: number; reorder?: boolean } = {}) {
  const d = options.d ?? 100;
  const samples: SampleRecord[] = [];
  for (let i = 0; i < n; i++) {
    // Decode order I P B B P B B …: each P is shown after the two B-frames that follow it.
    const inGop = i % gop;
    let shown = i;
    if (options.reorder && inGop > 0) {
      const k = (inGop - 1) % 3;
      const base = i - k;
      if (base + 2 < Math.min(n, i - inGop + gop)) shown = k === 0 ? base + 2 : base + k - 1;
    }
    samples.push({
      dts: i * d,
      cts: shown * d,
      duration: d,
      offset: 1000 + i * 10,
      size: 10,
      is_sync: inGop === 0,
    });
  }
  return samples;
}

/** Invariants every plan must keep. */
function checkPlan(table: SampleTable, plan: SamplingPlan, frames: number) {
  const shown = presentationOrder(table).length;
  expect(plan.shownFrames).toBe(shown);
  expect(plan.picks.length).toBe(Math.min(frames, shown));
  plan.picks.forEach((p, i) => {
    expect(p.index).toBe(i);
    expect(p.t).toBe(sampleTime(table, p.sample));
    if (i > 0) expect(p.t, `pick ${i} after pick ${i - 1}`).toBeGreaterThan(plan.picks[i - 1]!.t);
    const range = plan.ranges.find((r) => r.first <= p.sample && p.sample <= r.last);
    expect(range, `pick ${i} (sample ${p.sample}) is decoded`).toBeDefined();
  });
  plan.ranges.forEach((r, i) => {
    expect(table.sync[r.first] === 1 || r.first === 0, `range ${i} starts at a keyframe`).toBe(
      true,
    );
    if (i > 0)
      expect(r.first, `range ${i} apart from the one before`).toBeGreaterThan(
        plan.ranges[i - 1]!.last + 1,
      );
  });
  expect(plan.decodeCount).toBe(plan.ranges.reduce((n, r) => n + r.last - r.first + 1, 0));
}

describe('helpers', () => {
  it('targets are the centres of equal segments', () => {
    expect(targetTimes(10, 5)).toEqual([1, 3, 5, 7, 9]);
    expect(targetTimes(4, 1)).toEqual([2]);
  });

  it.each([
    [[0, 1, 2, 3], 1.4, 1],
    [[0, 1, 2, 3], 1.5, 1], // a tie goes to the earlier frame
    [[0, 1, 2, 3], 1.6, 2],
    [[0, 1, 2, 3], -5, 0],
    [[0, 1, 2, 3], 99, 3],
    [[0.5], 0, 0],
  ])('nearest(%j, %d) = %d', (times, t, expected) => {
    expect(nearest(times, t)).toBe(expected);
  });

  it.each([
    [[0, 0, 0], 10, [0, 1, 2]],
    [[9, 9, 9], 10, [7, 8, 9]],
    [[2, 2, 5, 5, 5], 6, [1, 2, 3, 4, 5]],
    [[0, 4, 8], 10, [0, 4, 8]],
  ])('distinctIncreasing(%j, %d) = %j', (positions, n, expected) => {
    expect(distinctIncreasing(positions, n)).toEqual(expected);
  });

  it('merges ranges that overlap or touch, keeps the others apart', () => {
    expect(
      mergeRanges([
        { first: 10, last: 12 },
        { first: 0, last: 3 },
        { first: 0, last: 5 },
        { first: 6, last: 7 },
        { first: 20, last: 25 },
      ]),
    ).toEqual([
      { first: 0, last: 7 },
      { first: 10, last: 12 },
      { first: 20, last: 25 },
    ]);
  });
});

describe('sample tables', () => {
  it('take the presentation window from the edit list (ffmpeg B-frame delay)', () => {
    const samples = track(30, 10, { reorder: true }).map((s) => ({ ...s, cts: s.cts + 200 }));
    const table = buildSampleTable(samples, 1000, [{ media_time: 200, segment_duration: 3 }], 1);
    expect(table.start).toBe(200);
    expect(presentationDuration(table)).toBe(3);
    expect(sampleTime(table, presentationOrder(table)[0]!)).toBe(0);
  });

  it('leave out frames an edit list trims from the start and the end', () => {
    const table = buildSampleTable(track(30, 10), 1000, [
      { media_time: 500, segment_duration: 2000 },
    ]);
    const order = presentationOrder(table);
    expect(order.length).toBe(20);
    expect(table.cts[order[0]!]).toBe(500);
    expect(presentationDuration(table)).toBe(2);
  });

  it('skip an empty edit (a delay) and span the samples without an edit list', () => {
    const delayed = buildSampleTable(track(10, 5), 1000, [
      { media_time: -1, segment_duration: 500 },
      { media_time: 0, segment_duration: 1000 },
    ]);
    expect([delayed.start, delayed.end]).toEqual([0, 1000]);
    const plain = buildSampleTable(
      track(10, 5).map((s) => ({ ...s, cts: s.cts + 300 })),
      1000,
    );
    expect([plain.start, plain.end]).toEqual([300, 1300]);
  });
});

describe('plans on synthetic tables', () => {
  it('keep the frame nearest each target and decode only the GOPs holding them', () => {
    const table = buildSampleTable(track(100, 10), 1000); // 10 s, keyframe every second
    const plan = planSampling(table, 5); // targets 1, 3, 5, 7, 9 s
    checkPlan(table, plan, 5);
    expect(plan.picks.map((p) => p.t)).toEqual([1, 3, 5, 7, 9]);
    expect(plan.ranges).toEqual([10, 30, 50, 70, 90].map((k) => ({ first: k, last: k })));
    expect(plan.decodeCount).toBe(5);
  });

  it('start every range at the keyframe before the frame and merge ranges within one GOP', () => {
    const table = buildSampleTable(track(100, 50), 1000);
    const plan = planSampling(table, 5); // targets 1, 3, 5, 7, 9 s: frames 10, 30, 50, 70, 90
    checkPlan(table, plan, 5);
    expect(plan.ranges).toEqual([
      { first: 0, last: 30 },
      { first: 50, last: 90 },
    ]);
  });

  it('with B-frames, pick in presentation order and decode in decode order', () => {
    const table = buildSampleTable(track(120, 30, { reorder: true }), 1000);
    expect(table.cts.some((c, i) => i > 0 && c < table.cts[i - 1]!)).toBe(true);
    for (const frames of [1, 2, 7, 16, 32, 64, 119, 120, 200]) {
      const plan = planSampling(table, frames);
      checkPlan(table, plan, frames);
      if (frames <= 16) expect(plan.decodeCount).toBeLessThan(120);
    }
  });

  it('return every frame of a video shorter than asked', () => {
    const table = buildSampleTable(track(7, 3), 1000);
    const plan = planSampling(table, 32);
    checkPlan(table, plan, 32);
    expect(plan.picks.map((p) => p.sample)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(plan.ranges).toEqual([{ first: 0, last: 6 }]);
  });

  it('keep times distinct across a variable frame rate gap', () => {
    // 10 frames in the first 0.1 s, then one frame per second: many targets fall in the gaps.
    const samples = [
      ...Array.from({ length: 10 }, (_, i) => ({ cts: i * 10, duration: 10 })),
      ...Array.from({ length: 10 }, (_, i) => ({ cts: 1000 + i * 1000, duration: 1000 })),
    ].map((s, i) => ({ ...s, dts: s.cts, offset: i * 10, size: 10, is_sync: i % 5 === 0 }));
    const table = buildSampleTable(samples, 1000);
    const plan = planSampling(table, 16);
    checkPlan(table, plan, 16);
    expect(plan.picks.at(-1)!.sample).toBe(19); // spread to the end
  });

  it('never pick frames before the first keyframe (a stream cut mid-GOP)', () => {
    const samples = track(40, 10).map((s, i) => ({ ...s, is_sync: i === 5 || i === 25 }));
    const table = buildSampleTable(samples, 1000);
    const plan = planSampling(table, 40);
    expect(plan.shownFrames).toBe(40);
    expect(plan.picks.map((p) => p.sample)).toEqual(Array.from({ length: 35 }, (_, i) => i + 5));
    expect(plan.ranges).toEqual([{ first: 5, last: 39 }]);
  });

  it('decode a leading picture of an open GOP from the keyframe before', () => {
    // Decode order: I0 P B B | I1 Bl(leading, shown before I1) P …
    const samples: SampleRecord[] = [
      { cts: 0, is_sync: true },
      { cts: 300, is_sync: false },
      { cts: 100, is_sync: false },
      { cts: 200, is_sync: false },
      { cts: 500, is_sync: true },
      { cts: 400, is_sync: false },
      { cts: 600, is_sync: false },
    ].map((s, i) => ({ ...s, dts: i * 100, duration: 100, offset: i, size: 1 }));
    const table = buildSampleTable(samples, 1000);
    expect(keyframeBefore(table, 5)).toBe(0);
    expect(keyframeBefore(table, 6)).toBe(4);
  });

  it('plan 16 frames of a 2-hour, 30 fps video (216,000 samples) decoding a few GOPs', () => {
    const table = buildSampleTable(track(216_000, 300, { d: 1 }), 30);
    const plan = planSampling(table, 16);
    checkPlan(table, plan, 16);
    expect(plan.decodeCount).toBeLessThanOrEqual(16 * 300);
    expect(plan.picks.at(-1)!.t).toBeGreaterThan(7200 - 7200 / 16);
  });
});

describe('plans on real files', () => {
  const names: VideoName[] = [
    'h264-faststart',
    'h264-moov-end',
    'h264-fragmented',
    'h264-bframes',
    'h264-long-gop',
    'h264-vfr',
    'h264-mov',
    'vp9-odd-size',
    'av1-odd-size',
    'h264-long',
  ];
  it.each(names)('%s: 1, 16 and 256 frames', async (name) => {
    const blob = await fileBlob(await testVideo(name));
    const { table } = await demux(new ByteSource(blob, name));
    for (const frames of [1, 16, 256]) {
      const plan = planSampling(table, frames);
      checkPlan(table, plan, frames);
      // Spread to the end: the last frame lies in the last of the `frames` segments.
      const duration = presentationDuration(table);
      if (plan.picks.length === frames) {
        expect(plan.picks.at(-1)!.t).toBeGreaterThanOrEqual(duration * (1 - 1 / frames) - 0.1);
      }
    }
  });

  it('decodes a small part of a long video for 16 frames', async () => {
    const blob = await fileBlob(await testVideo('h264-long'));
    const { table } = await demux(new ByteSource(blob, 'long'));
    const plan = planSampling(table, 16);
    expect(plan.decodeCount).toBeLessThan(table.count / 20);
  });
});
