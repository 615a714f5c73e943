// The built app in headless Chromium for page-level e2e tests: served with the test videos
// mounted under /test-videos/, and a real drag-and-drop of a file onto the page.
import { basename } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { DIST } from '../../cli/build.ts';
import { launchChromium } from '../../cli/chromium.ts';
import { serveStatic, type StaticServer } from '../../cli/serve.ts';
import { VIDEO_CACHE } from '../fixtures/videos.ts';

export interface AppPage {
  readonly page: Page;
  readonly browser: Browser;
  readonly server: StaticServer;
  /** Drop the file at `path` (a test video) onto the element matching `selector`. */
  drop(path: string, selector?: string, name?: string): Promise<void>;
  close(): Promise<void>;
}

export async function openApp(options: { colorScheme?: 'light' | 'dark' } = {}): Promise<AppPage> {
  const server = await serveStatic(DIST, { mounts: { '/test-videos/': VIDEO_CACHE } });
  const browser = await launchChromium();
  const page = await browser.newPage({
    viewport: { width: 1366, height: 900 },
    colorScheme: options.colorScheme ?? 'light',
  });
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(`${server.url}/index.html`);
  return {
    page,
    browser,
    server,
    async drop(path, selector = '[data-testid="dropzone"]', name = basename(path)) {
      if (!path.startsWith(VIDEO_CACHE)) throw new Error(`not a test video: ${path}`);
      const url = `/test-videos/${path.slice(VIDEO_CACHE.length + 1)}`;
      // Build a real File in the page and fire the drag events a person's drop fires.
      const dataTransfer = await page.evaluateHandle(
        async ([u, n]) => {
          const blob = await (await fetch(u)).blob();
          const dt = new DataTransfer();
          dt.items.add(new File([blob], n, { type: 'video/mp4' }));
          return dt;
        },
        [url, name] as const,
      );
      for (const type of ['dragenter', 'dragover', 'drop']) {
        await page.dispatchEvent(selector, type, { dataTransfer });
      }
      await dataTransfer.dispose();
    },
    async close() {
      await browser.close();
      await server.close();
    },
  };
}
