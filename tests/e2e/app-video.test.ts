// The page in Chromium: a video dropped onto it (a native drag-and-drop) is sampled in the worker,
// its facts shown, and its thumbnails drawn with their times; a file it cannot read gives a
// readable message and the page takes the next file.
import { statSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openApp, type AppPage } from './app.ts';
import { testVideo } from '../fixtures/videos.ts';

let app: AppPage;
beforeAll(async () => {
  app = await openApp();
});
afterAll(() => app?.close());

it('takes a dropped video and shows its facts and 32 thumbnails with times', async () => {
  const { page } = app;
  // What the page itself saw of the drop: Chromium's own (trusted) event, carrying the file.
  const seen = page.evaluate(
    () =>
      new Promise<{ trusted: boolean; files: string[] }>((resolve) =>
        document.querySelector('[data-testid="dropzone"]')!.addEventListener(
          'drop',
          (e) => {
            const files = Array.from((e as DragEvent).dataTransfer?.files ?? []);
            resolve({ trusted: e.isTrusted, files: files.map((f) => `${f.name} ${f.size}`) });
          },
          { once: true },
        ),
      ),
  );
  const path = await testVideo('h264-faststart');
  await app.drop(path, undefined, 'my clip.mp4');
  expect(await seen).toEqual({ trusted: true, files: [`my clip.mp4 ${statSync(path).size}`] });
  await page.getByText(/frames sampled in/).waitFor({ timeout: 60_000 });
  expect(await page.getByTestId('video-name').textContent()).toBe('my clip.mp4');
  expect(await page.getByTestId('video-resolution').textContent()).toBe('320×240');
  expect(await page.getByTestId('video-codec').textContent()).toMatch(/^H\.264 \(avc1\./);
  expect(await page.getByTestId('video-duration').textContent()).toBe('0:03.00');
  const frames = page.locator('.frame-card');
  expect(await frames.count()).toBe(32);
  const times = await frames.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-t'))));
  expect(times.every((t, i) => i === 0 || t > times[i - 1]!)).toBe(true);
  expect(times.at(-1)).toBeGreaterThan(2.8);
  // The thumbnails are drawn: testsrc2 frames are colourful, never blank.
  const drawn = await page.locator('.frame-card canvas').evaluateAll((canvases) =>
    canvases.map((c) => {
      const ctx = (c as HTMLCanvasElement).getContext('2d')!;
      const { data } = ctx.getImageData(
        0,
        0,
        (c as HTMLCanvasElement).width,
        (c as HTMLCanvasElement).height,
      );
      let lit = 0;
      for (let i = 0; i < data.length; i += 4)
        if (data[i]! + data[i + 1]! + data[i + 2]! > 60) lit++;
      return lit / (data.length / 4);
    }),
  );
  expect(drawn.every((share) => share > 0.3)).toBe(true);
});

it('explains a file it cannot read, keeps the open video, and takes the next file', async () => {
  const { page } = app;
  await app.drop(await testVideo('text'), undefined, 'notes.mp4');
  const alert = page.getByRole('alert');
  await alert.waitFor({ timeout: 30_000 });
  expect(await alert.getAttribute('data-code')).toBe('unsupported-container');
  expect((await alert.textContent())!.length).toBeGreaterThan(20);
  expect(await page.getByTestId('video-name').textContent()).toBe('my clip.mp4');
  // The file input (labelled Video) still works.
  await page.getByLabel('Video', { exact: true }).setInputFiles(await testVideo('vp9-odd-size'));
  await page.getByTestId('video-codec').getByText(/VP9/).waitFor({ timeout: 60_000 });
  await page.getByText(/frames sampled in/).waitFor({ timeout: 60_000 });
  expect(await page.getByRole('alert').count()).toBe(0);
  expect(await page.getByTestId('video-resolution').textContent()).toBe('163×91');
});
