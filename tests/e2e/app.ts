// The built app in headless Chromium for page-level e2e tests, and a native drag-and-drop of a
// file from disk onto the page: Chromium's own drag events through the DevTools protocol
// (Input.dispatchDragEvent), trusted and carrying a real File, as when a person drops one.
import { existsSync, linkSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { DIST } from '../../cli/build.ts';
import { launchChromium } from '../../cli/chromium.ts';
import { contentSecurityPolicy } from '../../cli/csp.ts';
import { serveStatic, type StaticServer } from '../../cli/serve.ts';
import type { Sample } from '../../src/store/samples.ts';
import { VIDEO_CACHE } from '../fixtures/videos.ts';

/** The sample videos that ship in public/samples, with the event each featured question is about. */
export const SAMPLES = (
  JSON.parse(
    readFileSync(new URL('../../public/samples/samples.json', import.meta.url), 'utf8'),
  ) as { samples: (Sample & { event: { start: number; end: number } })[] }
).samples;

export interface AppPage {
  readonly page: Page;
  readonly browser: Browser;
  readonly server: StaticServer;
  /** Drop the file at `path` onto the element matching `selector`, as a file named `name`. */
  drop(path: string, selector?: string, name?: string): Promise<void>;
  close(): Promise<void>;
}

/** Where files are given another name for a drop (hard links: no copy, same file system). */
const RENAMED = join(VIDEO_CACHE, '..', 'drops');

export async function openApp(
  options: { colorScheme?: 'light' | 'dark'; webgpu?: boolean } = {},
): Promise<AppPage> {
  const server = await serveStatic(DIST, { csp: contentSecurityPolicy() });
  // webgpu: false — a Chromium that offers no WebGPU adapter, as many machines do
  const browser = await launchChromium({ webgpu: options.webgpu });
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
      const target = page.locator(selector);
      await target.scrollIntoViewIfNeeded();
      const box = await target.boundingBox();
      if (!box) throw new Error(`nothing to drop on: ${selector} is not shown`);
      const at = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
      const data = { items: [], files: [named(path, name)], dragOperationsMask: 1 }; // 1: copy
      const cdp = await page.context().newCDPSession(page);
      try {
        for (const type of ['dragEnter', 'dragOver', 'drop'] as const) {
          await cdp.send('Input.dispatchDragEvent', { type, ...at, data });
        }
      } finally {
        await cdp.detach();
      }
    },
    async close() {
      await browser.close();
      await server.close();
    },
  };
}

/** `path` under the file name `name` (the name a dropped File carries is its file's). */
function named(path: string, name: string): string {
  if (basename(path) === name) return path;
  const dir = join(RENAMED, basename(path));
  const link = join(dir, name);
  mkdirSync(dir, { recursive: true });
  if (existsSync(link)) rmSync(link);
  linkSync(path, link);
  return link;
}
