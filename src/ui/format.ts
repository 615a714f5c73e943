// Formatting for people: times, sizes, durations.

/** Round times for a time axis from 0 to `span` seconds, at most `most` of them, and the decimals their labels need. */
export function timeTicks(span: number, most = 6): { ticks: number[]; decimals: number } {
  const steps = [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200];
  const step =
    steps.find((s) => Math.floor(span / s + 1e-9) < most) ??
    Math.ceil(span / (most - 1) / 3600) * 3600;
  const ticks: number[] = [];
  for (let i = 0; i * step <= span + 1e-9; i++) ticks.push(Math.round(i * step * 10) / 10);
  return { ticks, decimals: step < 1 ? 1 : 0 };
}

/** 75.25 → "1:15.3"; 3725 → "1:02:05.0" (rounded in whole units, so never "0:60.0"). */
export function formatTime(seconds: number, decimals = 1): string {
  if (!Number.isFinite(seconds)) return '–';
  const sign = seconds < 0 ? '-' : '';
  const factor = 10 ** decimals;
  const units = Math.round(Math.abs(seconds) * factor);
  const perMinute = 60 * factor;
  const h = Math.floor(units / (60 * perMinute));
  const m = Math.floor(units / perMinute) % 60;
  const sec = ((units % perMinute) / factor).toFixed(decimals);
  const padded = sec.padStart(decimals > 0 ? decimals + 3 : 2, '0');
  return h > 0 ? `${sign}${h}:${String(m).padStart(2, '0')}:${padded}` : `${sign}${m}:${padded}`;
}

export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n / 1000;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/** A codec string as people say it: avc1.* → H.264, vp09 → VP9, av01 → AV1. */
export function codecName(codec: string): string {
  const family = codec.split('.')[0] ?? codec;
  const names: Record<string, string> = {
    avc1: 'H.264',
    avc3: 'H.264',
    vp09: 'VP9',
    vp8: 'VP8',
    av01: 'AV1',
    hvc1: 'HEVC',
    hev1: 'HEVC',
  };
  return names[family] ? `${names[family]} (${codec})` : codec;
}

/** 12345 → "12,345". */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** FLOPs with an SI prefix: 3.2e12 → "3.2 TFLOP". */
export function formatFlops(n: number): string {
  const units: [number, string][] = [
    [1e15, 'PFLOP'],
    [1e12, 'TFLOP'],
    [1e9, 'GFLOP'],
    [1e6, 'MFLOP'],
  ];
  for (const [scale, unit] of units) if (n >= scale) return `${(n / scale).toFixed(1)} ${unit}`;
  return `${Math.round(n)} FLOP`;
}
