// The sampled frames' pixels are upright: the thumbnails the worker makes from them (drawn by the
// app page) match ffmpeg's own rendering of the same frame, which applies the display matrix,
// and not any other orientation. Also checks scaling (longest edge within bounds, never upscaled).
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openSession, type AutomationSession } from '../../cli/browser.ts';
import { DEFAULT_FRAMES } from '../../src/video/types.ts';
import type { OpenResult } from '../../src/worker/protocol.ts';
import { testVideo, type VideoName } from '../fixtures/videos.ts';

let session: AutomationSession;
beforeAll(async () => {
  session = await openSession();
});
afterAll(() => session?.close());

const THUMBS = 'canvas[aria-label^="Frame at"]';

/** The first thumbnail drawn by the app page for `file`, as RGBA pixels. */
async function firstThumbnail(file: string) {
  const { page } = session;
  await page.goto(`${session.server.url}/`);
  await page.setInputFiles('input[type=file][aria-label="Video"]', file);
  await page.waitForFunction(
    (sel) => {
      const c = document.querySelector<HTMLCanvasElement>(sel);
      return c !== null && c.width > 0 && c.height > 0;
    },
    THUMBS,
    { timeout: 60_000 },
  );
  return page.evaluate((sel) => {
    const c = document.querySelector<HTMLCanvasElement>(sel)!;
    const pixels = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    return { width: c.width, height: c.height, pixels: Array.from(pixels) };
  }, THUMBS);
}

/** ffmpeg's frame at `t` of `file` (rotated with `filter`), scaled to w×h, as RGBA. */
function ffmpegFrame(file: string, t: number, filter: string, w: number, h: number): Buffer {
  return execFileSync(
    'ffmpeg',
    [
      ...['-v', 'error', '-noautorotate', '-ss', String(Math.max(0, t - 0.001)), '-i', file],
      ...['-frames:v', '1', '-vf', `${filter},scale=${w}:${h}`, '-f', 'rawvideo'],
      ...['-pix_fmt', 'rgba', '-'],
    ],
    { maxBuffer: 1 << 24 },
  );
}

const meanRedError = (a: Buffer, b: readonly number[]) => {
  let sum = 0;
  for (let i = 0; i < a.length; i += 4) sum += Math.abs(a[i]! - b[i]!);
  return sum / (a.length / 4);
};

const ORIENTATIONS = {
  0: 'null',
  90: 'transpose=clock',
  180: 'hflip,vflip',
  270: 'transpose=cclock',
};

it.each([0, 90, 180, 270] as const)(
  'frames of a video rotated %i° are upright',
  async (rotation) => {
    const name: VideoName = rotation === 0 ? 'h264-bframes' : `h264-rotate-${rotation}`;
    const file = await testVideo(name);
    // The same worker code, through the automation page, tells the first sampled frame's time.
    await session.page.goto(`${session.server.url}/automation.html`);
    await session.page.waitForFunction(() => 'kvtp' in window);
    const frames = DEFAULT_FRAMES; // what the page asks for
    const first = await session.request<OpenResult>('open', { frames }, { file });
    const t = first.result!.frames[0]!.t;
    const thumb = await firstThumbnail(file);
    const upright = rotation === 90 || rotation === 270 ? [144, 256] : [256, 144];
    expect(thumb.width / thumb.height).toBeCloseTo(upright[0]! / upright[1]!, 1);
    expect(Math.max(thumb.width, thumb.height)).toBeLessThanOrEqual(256); // never upscaled
    const errors = Object.entries(ORIENTATIONS).map(([deg, filter]) => ({
      deg: Number(deg),
      error: meanRedError(ffmpegFrame(file, t, filter, thumb.width, thumb.height), thumb.pixels),
    }));
    const best = errors.reduce((a, b) => (b.error < a.error ? b : a));
    expect(best.deg, JSON.stringify(errors)).toBe(rotation);
    expect(best.error, 'close to ffmpeg’s picture').toBeLessThan(30);
  },
);
