// The real `kvtp probe` command: its JSON on stdout and its exit codes, for a good file, every bad
// input, bad arguments (exit 2, before any browser starts) and a missing file.
import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ffprobe } from '../fixtures/ffprobe.ts';
import { testVideo, type VideoName } from '../fixtures/videos.ts';

const ROOT = new URL('../..', import.meta.url).pathname;

function kvtp(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('node', ['bin/kvtp.mjs', ...args], { cwd: ROOT }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('kvtp probe VIDEO --json', () => {
  it('prints {container, codec, width, height, rotation, duration, bytes, frames:[{t}]} and exits 0', async () => {
    const path = await testVideo('h264-rotate-90');
    const { code, stdout } = await kvtp('probe', path, '--frames', '8', '--json');
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as Record<string, unknown>;
    expect(Object.keys(report)).toEqual([
      'container',
      'codec',
      'width',
      'height',
      'rotation',
      'duration',
      'bytes',
      'frames',
    ]);
    const truth = await ffprobe(path);
    expect(report).toMatchObject({
      container: 'mp4',
      codec: expect.stringMatching(/^avc1\.[0-9a-f]{6}$/),
      width: truth.width,
      height: truth.height,
      rotation: 90,
      duration: truth.duration,
      bytes: statSync(path).size,
    });
    const frames = report.frames as { t: number }[];
    expect(frames).toHaveLength(8);
    frames.forEach((f, i) => {
      expect(Object.keys(f)).toEqual(['t']);
      if (i > 0) expect(f.t).toBeGreaterThan(frames[i - 1]!.t);
    });
  });

  it.each(['vp8-recording', 'h264-mkv'] as const)(
    '%s (WebM without Cues or Duration, MKV with B-frames): 16 increasing times over it all',
    async (name) => {
      const path = await testVideo(name);
      const { code, stdout } = await kvtp('probe', path, '--frames', '16', '--json');
      expect(code).toBe(0);
      const report = JSON.parse(stdout) as {
        duration: number;
        bytes: number;
        frames: { t: number }[];
      };
      const truth = await ffprobe(path);
      expect(report.bytes).toBe(statSync(path).size);
      const last = truth.frameTimes.at(-1)!;
      expect(report.duration).toBeCloseTo(last + (last - truth.frameTimes.at(-2)!), 2);
      expect(report.frames).toHaveLength(16);
      report.frames.forEach(
        (f, i) => i > 0 && expect(f.t).toBeGreaterThan(report.frames[i - 1]!.t),
      );
      expect(report.frames.at(-1)!.t).toBeGreaterThan(report.duration * (15 / 16) - 0.05);
    },
  );

  it.each([
    ['empty', 'empty'],
    ['text', 'unsupported-container'],
    ['random', 'unsupported-container'],
    ['truncated-moov-end', 'corrupt'],
    ['truncated-faststart', 'corrupt'],
    ['garbled-media', 'corrupt'],
    ['audio-only', 'no-video-track'],
    ['hevc', 'unsupported-codec'],
    ['webm-audio-only', 'no-video-track'],
    ['webm-header-only', 'corrupt'],
    ['garbled-webm', 'corrupt'],
    ['hevc-mkv', 'unsupported-codec'],
  ] as const)('%s: prints {"error":{"code":"%s",…}} and exits 1', async (name, errorCode) => {
    const path = await testVideo(name as VideoName);
    const { code, stdout } = await kvtp('probe', path, '--frames', '8', '--json');
    expect(code).toBe(1);
    const report = JSON.parse(stdout) as { error: { code: string; message: string } };
    expect(Object.keys(report)).toEqual(['error']);
    expect(report.error.code).toBe(errorCode);
    expect(report.error.message).toContain(basename(path)); // names the file
    expect(report.error.message.length).toBeGreaterThan(30);
  });
});

describe('kvtp probe: arguments', () => {
  it.each([
    [['--frames', '0'], /--frames must be an integer from 1 to 256 \(got '0'\)/],
    [['--frames', '257'], /--frames must be an integer from 1 to 256 \(got '257'\)/],
    [['--frames', '2.5'], /--frames must be an integer from 1 to 256 \(got '2.5'\)/],
    [['--frame', '8'], /frame/],
    [[], /usage: kvtp probe VIDEO/],
  ])('%j is a usage error: exit 2', async (args, message) => {
    const video = args.length ? [await testVideo('h264-faststart')] : [];
    const { code, stdout } = await kvtp('probe', ...video, ...args, '--json');
    expect(code).toBe(2);
    const report = JSON.parse(stdout) as { error: { code: string; message: string } };
    expect(report.error.code).toBe('usage');
    expect(report.error.message).toMatch(message);
  });

  it('a file that does not exist: not-found, exit 1', async () => {
    const { code, stdout } = await kvtp('probe', 'no/such/video.mp4', '--json');
    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toEqual({
      error: { code: 'not-found', message: 'No such file: no/such/video.mp4' },
    });
  });
});
