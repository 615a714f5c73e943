// The real `kvtp probe` command: its JSON on stdout, its exit codes, for a good file and bad ones.
import { execFile } from 'node:child_process';
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
  it('prints {container, codec, width, height, rotation, duration, frames:[{t}]} and exits 0', async () => {
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
    });
    const frames = report.frames as { t: number }[];
    expect(frames).toHaveLength(8);
    frames.forEach((f, i) => {
      expect(Object.keys(f)).toEqual(['t']);
      if (i > 0) expect(f.t).toBeGreaterThan(frames[i - 1]!.t);
    });
  });

  it.each([
    ['text', 'unsupported-container'],
    ['hevc', 'unsupported-codec'],
  ] as const)(
    '%s: prints {"error":{"code":"%s",…}} and exits non-zero',
    async (name, errorCode) => {
      const { code, stdout } = await kvtp('probe', await testVideo(name as VideoName), '--json');
      expect(code).not.toBe(0);
      const report = JSON.parse(stdout) as { error: { code: string; message: string } };
      expect(Object.keys(report)).toEqual(['error']);
      expect(report.error.code).toBe(errorCode);
      expect(report.error.message.length).toBeGreaterThan(30);
    },
  );
});
