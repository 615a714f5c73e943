// The whole flow on the page in Chromium with the embedded demo models: drop a video, ask, watch the
// answer stream, see each frame's kept tokens drawn exactly as the run reports them (overlay
// pixels against the exported run), change the keep ratio and see the view update without a new
// decode or encode; and a sample video's question, whose event the trained relevance model finds. Screenshots of
// the page are written to test-results/.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { AskResult } from '../../src/engine/types.ts';
import { testVideo } from '../fixtures/videos.ts';
import { openApp, SAMPLES, type AppPage } from './app.ts';

let app: AppPage;
beforeAll(async () => {
  app = await openApp();
});
afterAll(() => app?.close());

/** Alpha at the centre of every grid cell of overlay `index`. */
async function cellAlphas(index: number, rows: number, cols: number): Promise<number[]> {
  return app.page.getByTestId(`overlay-${index}`).evaluate(
    (c, [r, k]) => {
      const canvas = c as HTMLCanvasElement;
      const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      const cw = canvas.width / k;
      const ch = canvas.height / r;
      const out: number[] = [];
      for (let n = 0; n < r * k; n++) {
        const x = Math.floor((n % k) * cw + cw / 2);
        const y = Math.floor(Math.floor(n / k) * ch + ch / 2);
        out.push(data[(y * canvas.width + x) * 4 + 3]!);
      }
      return out;
    },
    [rows, cols] as const,
  );
}

it('asks, streams the answer, and draws exactly the kept tokens the run reports', async () => {
  const { page } = app;
  await page.evaluate(() => localStorage.clear());
  await app.drop(await testVideo('h264-faststart'), undefined, 'clip.mp4');
  await page.getByText(/frames sampled in/).waitFor({ timeout: 60_000 });
  await page.getByLabel('Reduction').selectOption('random');
  await page.getByRole('textbox', { name: 'Question' }).fill('What colour was the triangle?');
  await page.getByRole('button', { name: 'Ask' }).click();
  const answer = page.getByRole('region', { name: 'Answer' });
  await answer.locator('.turn.done').waitFor({ timeout: 120_000 });

  const download = page.waitForEvent('download');
  await answer.getByRole('button', { name: 'Export run (JSON)' }).click();
  const run = JSON.parse(readFileSync((await (await download).path())!, 'utf8')) as AskResult & {
    question: string;
  };
  expect(run.question).toBe('What colour was the triangle?');
  expect(await answer.getByTestId('answer').textContent()).toBe(run.answer);
  const sel = run.selection;
  expect(sel.frames).toHaveLength(32);
  expect(sel.visualKept).toBe(Math.round(0.2 * 32 * 64));
  const [rows, cols] = sel.grid;
  for (const i of [0, 7, 31]) {
    const alphas = await cellAlphas(i, rows, cols);
    const kept = new Set(sel.frames[i]!.indices);
    alphas.forEach((a, n) => expect(a === 0, `frame ${i} cell ${n}`).toBe(kept.has(n)));
    await expect
      .poll(() => page.locator('.frame-card').nth(i).locator('.frame-budget').textContent())
      .toBe(`${sel.frames[i]!.keep}/64`);
  }
  await page.screenshot({ path: 'test-results/app-ask.png', fullPage: true });
});

it('redraws for a new keep ratio without decoding or encoding again', async () => {
  const { page } = app;
  const counters = () =>
    page.evaluate(() =>
      (globalThis as unknown as { kvtpCounters(): Promise<Record<string, number>> }).kvtpCounters(),
    );
  const work = await counters();
  expect(work).toMatchObject({ videoDecodes: 1, visionEncodes: 1, relevanceImageEncodes: 1 });
  const before = await page.locator('.frame-budget').allTextContents();
  await page.getByRole('slider', { name: 'Keep ratio' }).fill('50');
  await expect
    .poll(async () => (await page.locator('.frame-budget').allTextContents()).join(), {
      timeout: 60_000,
    })
    .not.toBe(before.join());
  const kept = (await page.locator('.frame-budget').allTextContents()).map((t) =>
    Number(t.split('/')[0]),
  );
  expect(kept.reduce((a, b) => a + b, 0)).toBe(Math.round(0.5 * 32 * 64));
  const alphas = await cellAlphas(3, 8, 8);
  expect(alphas.filter((a) => a === 0).length).toBe(kept[3]);
  const after = await counters();
  expect(after).toMatchObject({ videoDecodes: 1, visionEncodes: 1, relevanceImageEncodes: 1 });
  expect(after.selections).toBeGreaterThan(work.selections!);
});

it('answers the sample question about the sample video correctly, the relevance model finding its event', async () => {
  const { page } = app;
  const sample = SAMPLES[0]!;
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  await page.getByRole('group', { name: 'Sample videos' }).getByText(sample.title).click();
  await page.getByText(/frames sampled in/).waitFor({ timeout: 60_000 });
  await page
    .getByRole('group', { name: 'Suggested questions' })
    .getByRole('button', { name: sample.question })
    .click();
  expect(await page.getByRole('textbox', { name: 'Question' }).inputValue()).toBe(sample.question);
  await page.getByRole('button', { name: 'Ask' }).click();
  const answer = page.getByRole('region', { name: 'Answer' });
  await answer.locator('.turn.done').waitFor({ timeout: 180_000 });
  // the embedded demo, with the app's default settings, answers the sample question correctly
  expect((await answer.getByTestId('answer').textContent())?.trim()).toBe(sample.answer);
  const download = page.waitForEvent('download');
  await answer.getByRole('button', { name: 'Export run (JSON)' }).click();
  const run = JSON.parse(readFileSync((await (await download).path())!, 'utf8')) as AskResult;
  // the trained relevance model scores the frames showing the asked-about shape highest
  const frames = run.selection.frames;
  const top = frames.reduce((a, b) => (b.score > a.score ? b : a));
  expect(top.t).toBeGreaterThanOrEqual(sample.event.start);
  expect(top.t).toBeLessThan(sample.event.end);
  await page.screenshot({ path: 'test-results/app-sample.png', fullPage: true });
});
