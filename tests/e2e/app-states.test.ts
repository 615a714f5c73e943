// The states people meet, on the page in Chromium: a browser without a WebGPU adapter (the page
// says so before any video, and a sample question is still answered, on the CPU); a GPU device
// lost between two questions (the GPU process crashed: the next question is answered on a new
// device and says so, the conversation and the video stay); the page in dark mode (screenshot).
import { readFileSync } from 'node:fs';
import { afterEach, expect, it } from 'vitest';
import { openApp, SAMPLES, type AppPage } from './app.ts';

const samples = SAMPLES;

let app: AppPage | null = null;
afterEach(async () => {
  await app?.close();
  app = null;
});

/** Ask `question` about the open video; the finished turn. */
async function ask(a: AppPage, question: string) {
  const { page } = a;
  await page.getByRole('textbox', { name: 'Question' }).fill(question);
  await page.getByRole('button', { name: 'Ask' }).click();
  const turns = page.getByRole('region', { name: 'Answer' }).locator('.turn');
  const turn = turns.nth((await turns.count()) - 1);
  await turn.and(page.locator('.turn.done')).waitFor({ timeout: 240_000 });
  return turn;
}

/** Open sample `i` from the drop zone and ask its featured question; the finished turn. */
async function askSample(a: AppPage, i: number) {
  const { page } = a;
  await page.getByRole('group', { name: 'Sample videos' }).getByText(samples[i]!.title).click();
  await page.getByText(/frames sampled in/).waitFor({ timeout: 60_000 });
  return ask(a, samples[i]!.question);
}

it('without WebGPU says so before any video, and answers a sample question on the CPU', async () => {
  app = await openApp({ webgpu: false });
  const { page } = app;
  const notice = page.locator('[data-code="no-webgpu"]');
  await notice.waitFor({ timeout: 30_000 });
  expect(await notice.textContent()).toMatch(/No WebGPU here: the models will run on the CPU/);
  const turn = await askSample(app, 0);
  expect((await turn.getByTestId('answer').textContent())?.trim()).toMatch(/^[a-z-]+$/);
  // the model panel names where the models ran
  expect(await page.getByTestId('models').textContent()).toMatch(/CPU/);
  await page.screenshot({ path: 'test-results/app-no-webgpu.png', fullPage: true });
});

it('answers again after the GPU device is lost, keeping the conversation and the video', async () => {
  app = await openApp();
  const { page } = app;
  const first = await askSample(app, 1);
  const firstAnswer = await first.getByTestId('answer').textContent();
  // crash Chromium's GPU process: every GPUDevice of the page is lost, as after a driver reset
  const cdp = await app.browser.newBrowserCDPSession();
  await cdp.send('Browser.crashGpuProcess');
  await cdp.detach();
  const second = await ask(app, samples[1]!.questions[1]!.question);
  const turns = page.getByRole('region', { name: 'Answer' }).locator('.turn');
  expect(await turns.count()).toBe(2);
  // the page says what happened, beside the answer that ran on the new device
  expect(await second.locator('.turn-note').textContent()).toMatch(/GPU device was lost/);
  expect(await turns.nth(0).getByTestId('answer').textContent()).toBe(firstAnswer);
  expect((await second.getByTestId('answer').textContent())?.trim()).toMatch(/^[a-z-]+$/);
  expect(await page.getByTestId('video-name').textContent()).toBe(samples[1]!.file);
});

it('draws in dark mode', async () => {
  app = await openApp({ colorScheme: 'dark' });
  const { page } = app;
  await askSample(app, 2);
  const bg = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
  const [r, g, b] = (bg.match(/\d+/g) ?? []).map(Number);
  expect(r! + g! + b!).toBeLessThan(3 * 60);
  await page.screenshot({ path: 'test-results/app-dark.png', fullPage: true });
});

it('asks with a model package folder picked from disk', async () => {
  app = await openApp();
  const { page } = app;
  await page.getByTestId('models').locator('summary').click();
  const folder = new URL('../../public/models/fixture-vlm', import.meta.url).pathname;
  await page.getByLabel('Language model folder').setInputFiles(folder);
  await expect
    .poll(() => page.getByRole('combobox', { name: /^Language model/ }).inputValue())
    .toBe('folder');
  expect(await page.getByTestId('models').textContent()).toMatch(/Folder “fixture-vlm”/);
  const turn = await askSample(app, 0);
  const download = page.waitForEvent('download');
  await turn.getByRole('button', { name: 'Export run (JSON)' }).click();
  const run = JSON.parse(readFileSync((await (await download).path())!, 'utf8')) as {
    model: string;
    answer: string;
  };
  // the folder's config.json names the fixture VLM: its manifest, with the files from disk
  expect(run.model).toBe('fixture-vlm');
  expect(await turn.getByTestId('answer').textContent()).toBe(run.answer);
});
