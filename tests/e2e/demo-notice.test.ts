// A user's own video on the demo (issue 12, item 4), in Chromium: the built page says before any
// answer that the demo model only knows its synthetic videos and offers SmolVLM2-256M with its
// download size, and says nothing of the kind for the demo's own samples; `kvtp ask` adds the
// same notice to its report for a video that is not a sample, and not for a sample.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoNoticeMessage } from '../../src/models/demo-notice.ts';
import { testVideo } from '../fixtures/videos.ts';
import { openApp, SAMPLES, type AppPage } from './app.ts';

const run = promisify(execFile);

describe('the page', () => {
  let app: AppPage;
  beforeAll(async () => {
    app = await openApp();
  });
  afterAll(() => app?.close());

  it('shows the notice for a video of one’s own, before any answer, and not for a sample', async () => {
    const { page } = app;
    const notice = page.locator('[data-code="demo-model"]');
    await app.drop(await testVideo('h264-faststart'), undefined, 'my clip.mp4');
    await page.getByText(/frames sampled in/).waitFor({ timeout: 60_000 });
    await notice.waitFor({ timeout: 10_000 });
    expect(await notice.textContent()).toContain(
      'only knows the synthetic videos it was trained on',
    );
    expect(await page.locator('.turn').count()).toBe(0); // nothing asked, nothing answered
    const button = notice.getByRole('button', {
      name: /SmolVLM2 256M Video Instruct \(over 87 MB\)/,
    });
    expect(await button.isVisible()).toBe(true);

    // a sample: the demo model knows it, no notice
    await page.getByRole('button', { name: SAMPLES[0]!.title, exact: true }).click();
    await page.getByTestId('video-name').getByText(SAMPLES[0]!.file).waitFor({ timeout: 60_000 });
    await page.getByText(/frames sampled in/).waitFor({ timeout: 60_000 });
    expect(await notice.count()).toBe(0);
  });
});

describe('kvtp ask', () => {
  const ask = async (video: string, ...options: string[]) => {
    const { stdout } = await run(
      'node',
      [
        'bin/kvtp.mjs',
        'ask',
        video,
        'What colour?',
        '--frames',
        '4',
        '--max-tokens',
        '2',
        '--json',
        ...options,
      ],
      { maxBuffer: 1 << 24 },
    );
    return JSON.parse(stdout) as {
      model: string;
      notices: { code: string; message: string }[];
      settings: { allocation: string };
    };
  };

  it('reports the notice for a video of one’s own and not for a sample', async () => {
    const own = await ask(await testVideo('h264-faststart'));
    expect(own.model).toBe('demo-vlm');
    expect(own.notices).toContainEqual({ code: 'demo-model', message: demoNoticeMessage() });
    const sample = fileURLToPath(
      new URL(`../../public/samples/${SAMPLES[0]!.file}`, import.meta.url),
    );
    // 'kvtp' is the exact allocation's name from before it had one name everywhere.
    const known = await ask(sample, '--allocation', 'kvtp');
    expect(known.model).toBe('demo-vlm');
    expect(known.settings.allocation).toBe('exact');
    expect(known.notices.map((n) => n.code)).not.toContain('demo-model');
  });
});
