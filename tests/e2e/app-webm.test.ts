// WebM and MKV on the page in Chromium: a recording without Cues or Duration dropped on the
// drop zone and an MKV chosen with the picker are sampled like an MP4, and a WebM recording is
// answered like one; the video plays in the page from an object URL beside the frames; a frame
// click (mouse, or Enter from the keyboard) seeks the player to the frame's time, a point of the
// relevance curve too, and the timeline marks it; the object URL is revoked once another video
// takes its place.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { testVideo } from '../fixtures/videos.ts';
import { openApp, type AppPage } from './app.ts';

let app: AppPage;
beforeAll(async () => {
  app = await openApp();
});
afterAll(() => app?.close());

const player = () => app.page.getByTestId('player');
const playerTime = () => player().evaluate((v) => (v as HTMLVideoElement).currentTime);
const playerUrl = () => player().getAttribute('src');

/**
 * Whether an object URL still gives a video: a fresh <video> loads it (media-src allows blob:;
 * the page's CSP refuses fetch() of it, rightly: connect-src is the page's origin and the Hub).
 */
const loads = (url: string) =>
  app.page.evaluate(
    (u) =>
      new Promise<boolean>((resolve) => {
        const v = document.createElement('video');
        v.muted = true;
        v.onloadedmetadata = () => resolve(true);
        v.onerror = () => resolve(false);
        v.src = u;
      }),
    url,
  );

it('samples a dropped WebM recording (no Cues, no Duration) and plays it beside the frames', async () => {
  const { page } = app;
  await app.drop(await testVideo('vp8-recording'), undefined, 'screen recording.webm');
  await page.getByText(/frames sampled in/).waitFor({ timeout: 60_000 });
  expect(await page.getByTestId('video-name').textContent()).toBe('screen recording.webm');
  expect(await page.getByTestId('video-codec').textContent()).toMatch(/^VP8/);
  expect(await page.getByTestId('video-duration').textContent()).toBe('0:06.00');
  expect(await page.locator('.frame-card').count()).toBe(32);
  expect(await playerUrl()).toMatch(/^blob:/);
  // The browser's own player loads the file from that URL.
  await expect
    .poll(() => player().evaluate((v) => (v as HTMLVideoElement).readyState), { timeout: 30_000 })
    .toBeGreaterThanOrEqual(1);
});

it('seeks the player to a clicked frame, and to a frame chosen from the keyboard', async () => {
  const { page } = app;
  const card = page.locator('.frame-card').nth(20);
  const t = Number(await card.getAttribute('data-t'));
  await card.locator('.frame-button').click();
  await expect.poll(playerTime, { timeout: 30_000 }).toBeCloseTo(t, 3);
  expect(await page.getByTestId('player-time').textContent()).toMatch(/^0:0\d\.\d\d$/);
  // The player shows that frame: its picture is the clicked thumbnail's, not its neighbours'.
  await page.waitForTimeout(300); // the seeked picture is painted after 'seeked'
  const distances = await page.evaluate(() => {
    const pixels = (src: CanvasImageSource) => {
      const c = new OffscreenCanvas(80, 45).getContext('2d')!;
      c.drawImage(src, 0, 0, 80, 45);
      return c.getImageData(0, 0, 80, 45).data;
    };
    const shown = pixels(document.querySelector('video')!);
    return [19, 20, 21].map((k) => {
      const thumb = pixels(document.querySelectorAll('.frame-card canvas')[k] as HTMLCanvasElement);
      let sum = 0;
      for (let i = 0; i < shown.length; i++) sum += Math.abs(shown[i]! - thumb[i]!);
      return sum / shown.length;
    });
  });
  expect(distances[1], JSON.stringify(distances)).toBeLessThan(
    Math.min(distances[0]!, distances[2]!),
  );
  const other = page.locator('.frame-card').nth(3);
  const t3 = Number(await other.getAttribute('data-t'));
  await other.locator('.frame-button').focus();
  await page.keyboard.press('Enter');
  await expect.poll(playerTime, { timeout: 30_000 }).toBeCloseTo(t3, 3);
  // Its enlarge button still opens the frame large.
  await other.getByRole('button', { name: /^Enlarge frame at / }).click();
  await page.locator('dialog.frame-detail[open]').waitFor();
  await page.keyboard.press('Escape');
});

it('answers a question about the WebM recording; a point of the curve seeks and is marked', async () => {
  const { page } = app;
  await page.getByRole('textbox', { name: 'Question' }).fill('What colour was the triangle?');
  await page.getByRole('button', { name: 'Ask' }).click();
  const answer = page.getByRole('region', { name: 'Answer' });
  await answer.locator('.turn.done').waitFor({ timeout: 180_000 });
  expect((await answer.getByTestId('answer').textContent())!.length).toBeGreaterThan(0);
  const point = page.getByRole('button', { name: /^Play from .* \(score / }).nth(10);
  const label = (await point.getAttribute('aria-label'))!;
  await point.focus();
  await page.keyboard.press('Enter');
  const [m, s] = /Play from (\d+):(\d+\.\d+)/.exec(label)!.slice(1).map(Number);
  await expect.poll(playerTime, { timeout: 30_000 }).toBeCloseTo(m! * 60 + s!, 1);
  const mark = page.getByTestId('timeline-playhead');
  await expect
    .poll(async () => Number(await mark.getAttribute('data-t')), { timeout: 30_000 })
    .toBeCloseTo(m! * 60 + s!, 1);
});

it('takes an MKV from the picker and revokes the previous video’s URL', async () => {
  const { page } = app;
  const before = (await playerUrl())!;
  expect(await loads(before)).toBe(true);
  await page.getByLabel('Video', { exact: true }).setInputFiles(await testVideo('h264-mkv'));
  await page
    .getByTestId('video-codec')
    .getByText(/H\.264/)
    .waitFor({ timeout: 60_000 });
  await page.getByText(/frames sampled in/).waitFor({ timeout: 60_000 });
  expect(await page.getByTestId('video-resolution').textContent()).toBe('256×144');
  const after = (await playerUrl())!;
  expect(after).toMatch(/^blob:/);
  expect(after).not.toBe(before);
  const stillThere = await loads(before);
  expect(stillThere).toBe(false);
});
