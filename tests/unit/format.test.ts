import { describe, expect, it } from 'vitest';
import { codecName, formatBytes, formatTime, timeTicks } from '../../src/ui/format.ts';

describe('formatTime', () => {
  it.each([
    [0, 1, '0:00.0'],
    [75.25, 1, '1:15.3'],
    [59.96, 1, '1:00.0'],
    [3725, 1, '1:02:05.0'],
    [3599.99, 1, '1:00:00.0'],
    [5.5, 0, '0:06'],
    [-2, 1, '-0:02.0'],
    [Number.NaN, 1, '–'],
  ])('%d s with %d decimals → %s', (s, d, out) => expect(formatTime(s, d)).toBe(out));
});

describe('formatBytes and codecName', () => {
  it('formats sizes and codec families', () => {
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1_500_000)).toBe('1.5 MB');
    expect(codecName('avc1.64001f')).toBe('H.264 (avc1.64001f)');
    expect(codecName('av01.0.04M.08')).toBe('AV1 (av01.0.04M.08)');
    expect(codecName('mp4v.20.9')).toBe('mp4v.20.9');
  });
});

describe('timeTicks', () => {
  it('puts round times on the axis, at most six, never past its end', () => {
    expect(timeTicks(6)).toEqual({ ticks: [0, 2, 4, 6], decimals: 0 });
    expect(timeTicks(5.9)).toEqual({ ticks: [0, 1, 2, 3, 4, 5], decimals: 0 });
    expect(timeTicks(1800).ticks).toEqual([0, 600, 1200, 1800]);
    expect(timeTicks(7200).ticks).toEqual([0, 1800, 3600, 5400, 7200]);
    expect(timeTicks(0.4)).toEqual({ ticks: [0, 0.1, 0.2, 0.3, 0.4], decimals: 1 });
    for (const span of [0.05, 0.7, 3, 59, 61, 599, 3601, 86400]) {
      const { ticks } = timeTicks(span);
      expect(ticks[0]).toBe(0);
      expect(ticks.length).toBeLessThanOrEqual(6);
      expect(ticks[ticks.length - 1]).toBeLessThanOrEqual(span);
    }
  });
});
