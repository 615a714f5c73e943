import { describe, expect, it } from 'vitest';
import { codecName, formatBytes, formatTime } from '../../src/ui/format.ts';

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
