// How `kvtp probe` (and every subcommand) answers (cli/output.ts): one JSON object on stdout when
// --json is given or stdout is not a terminal (a pipe, a test); readable text on a terminal; an
// error as {"error":{"code","message"}} on stdout, or as a line on stderr on a terminal; progress
// lines only on a terminal's stderr, cleared before the answer.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { output } from '../../cli/output.ts';

function capture(tty: { stdout: boolean; stderr: boolean }) {
  const out: string[] = [];
  const err: string[] = [];
  Object.defineProperty(process.stdout, 'isTTY', { value: tty.stdout, configurable: true });
  Object.defineProperty(process.stderr, 'isTTY', { value: tty.stderr, configurable: true });
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
  return { out, err };
}

const ttys = {
  stdout: Object.getOwnPropertyDescriptor(process.stdout, 'isTTY'),
  stderr: Object.getOwnPropertyDescriptor(process.stderr, 'isTTY'),
};
afterEach(() => {
  vi.restoreAllMocks();
  for (const [name, d] of Object.entries(ttys)) {
    const stream = process[name as 'stdout' | 'stderr'];
    if (d) Object.defineProperty(stream, 'isTTY', d);
    else delete (stream as { isTTY?: boolean }).isTTY;
  }
});

const report = { container: 'mp4', frames: [{ t: 0.5 }] };

describe('command output', () => {
  it('prints one JSON line to a pipe, --json or not', () => {
    for (const json of [false, true]) {
      const { out, err } = capture({ stdout: false, stderr: false });
      const code = output(json).result(report, () => 'human');
      expect(code).toBe(0);
      expect(out).toEqual([JSON.stringify(report) + '\n']);
      expect(err).toEqual([]);
      vi.restoreAllMocks();
    }
  });

  it('prints readable text on a terminal, JSON with --json', () => {
    let { out } = capture({ stdout: true, stderr: true });
    output(false).result(report, () => 'clip.mp4: mp4, 1 frame');
    expect(out).toEqual(['clip.mp4: mp4, 1 frame\n']);
    vi.restoreAllMocks();
    ({ out } = capture({ stdout: true, stderr: true }));
    output(true).result(report, () => 'human');
    expect(out).toEqual([JSON.stringify(report) + '\n']);
  });

  it('gives an error as JSON on stdout with its exit code, or as a line on a terminal', () => {
    const error = { code: 'corrupt', message: '"a.mp4" looks damaged.' };
    let { out, err } = capture({ stdout: false, stderr: false });
    expect(output(false).error(error, 1)).toBe(1);
    expect(out).toEqual([JSON.stringify({ error }) + '\n']);
    expect(err).toEqual([]);
    vi.restoreAllMocks();
    ({ out, err } = capture({ stdout: true, stderr: true }));
    expect(output(false).error({ code: 'usage', message: 'usage: kvtp probe VIDEO' }, 2)).toBe(2);
    expect(out).toEqual([]);
    expect(err).toEqual(['kvtp: usage: kvtp probe VIDEO [usage]\n']);
  });

  it('shows progress on a terminal only, and clears it before the answer', () => {
    let { out, err } = capture({ stdout: false, stderr: false });
    const piped = output(true);
    piped.progress('decode 3/10');
    piped.result(report);
    expect(err).toEqual([]);
    expect(out).toHaveLength(1);
    vi.restoreAllMocks();
    ({ out, err } = capture({ stdout: false, stderr: true }));
    const shown = output(true);
    shown.progress('decode 3/10');
    shown.result(report);
    expect(err).toEqual(['\r\x1b[Kdecode 3/10', '\r\x1b[K']);
    expect(out).toEqual([JSON.stringify(report) + '\n']);
  });
});
