// The sampled frames' pixels are upright: the thumbnails the worker makes from them (drawn by the
// app page, found as tests/e2e/app-video.test.ts finds them) match ffmpeg's rendering of the same
// frame turned by the track's rotation, and no other orientation. Also checks the scaling
// (aspect kept, never upscaled).
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openSession, type AutomationSession } from '../../cli/browser.ts';
import { testVideo, type VideoName } from '../fixtures/videos.ts';

let session: AutomationSession;
beforeAll(async () => {
  session = await openSession();
});
afterAll(() => session?.close());

/** The first thumbnail the app page draws for `file`, with its frame's exact time. */
async function firstThumbnail(file: string) {
  const { page } = session;
  await page.goto(`${session.server.url}/`);
  await page.getByLabel('Video', { exact: true }).setInputFiles(file);
  await page.getByText(/frames sampled in/).waitFor({ timeout: 60_000 });
  return page
    .locator('.frame-card')
    .first()
    .evaluate((card) => {
      const c = card.querySelector('canvas')!;
      const pixels = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      const t = Number(card.getAttribute('data-t'));
      return { t, width: c.width, height: c.height, pixels: Array.from(pixels) };
    });
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
    const thumb = await firstThumbnail(file);
    const upright = rotation === 90 || rotation === 270 ? [144, 256] : [256, 144];
    expect(thumb.width / thumb.height).toBeCloseTo(upright[0]! / upright[1]!, 1);
    expect(Math.max(thumb.width, thumb.height)).toBeLessThanOrEqual(256); // never upscaled
    const errors = Object.entries(ORIENTATIONS).map(([deg, filter]) => ({
      deg: Number(deg),
      error: meanRedError(
        ffmpegFrame(file, thumb.t, filter, thumb.width, thumb.height),
        thumb.pixels,
      ),
    }));
    const best = errors.reduce((a, b) => (b.error < a.error ? b : a));
    expect(best.deg, JSON.stringify(errors)).toBe(rotation);
    expect(best.error, 'close to ffmpeg’s picture').toBeLessThan(30);
  },
);
