// An automation session: the built app served on localhost, headless Chromium with WebGPU, and
// the automation page's worker, driven through the same protocol as the UI. The command line,
// the e2e tests and the benches all go through here.

import type { Browser, Page } from 'playwright-core';
import { ensureBuilt, DIST } from './build.ts';
import { launchChromium } from './chromium.ts';
import { contentSecurityPolicy } from './csp.ts';
import { serveStatic, type ServeOptions, type StaticServer } from './serve.ts';
import type { CommandName } from '../src/worker/protocol.ts';

export interface ErrorValue {
  code: string;
  message: string;
}

export type Outcome<T> =
  { result: T; error?: undefined } | { result?: undefined; error: ErrorValue };

export interface AutomationSession {
  readonly page: Page;
  readonly browser: Browser;
  readonly server: StaticServer;
  /** Run a worker command; `file` (a path on disk) becomes `args[fileArg]` as a real File. */
  request<T = unknown>(
    command: CommandName,
    args: Record<string, unknown>,
    options?: { file?: string; fileArg?: string; onEvent?: (event: unknown) => void },
  ): Promise<Outcome<T>>;
  close(): Promise<void>;
}

export interface SessionOptions {
  serve?: ServeOptions;
  /**
   * Hub endpoints other than huggingface.co the page may fetch from (HF_ENDPOINT, a mirror, the
   * tests' stand-in): the app's Content-Security-Policy lets their hosts in, on any port.
   */
  endpoints?: readonly string[];
  log?: (line: string) => void;
  /** Browser console lines (for debugging: KVTP_DEBUG=1). */
  onConsole?: (line: string) => void;
}

export async function openSession(options: SessionOptions = {}): Promise<AutomationSession> {
  await ensureBuilt(options.log);
  const csp = contentSecurityPolicy({ endpoints: options.endpoints ?? [] });
  const server = await serveStatic(DIST, { csp, ...options.serve });
  let browser: Browser | undefined;
  try {
    browser = await launchChromium();
    const page = await browser.newPage();
    if (options.onConsole) page.on('console', (m) => options.onConsole?.(m.text()));
    const listeners = new Map<string, (event: unknown) => void>();
    await page.exposeFunction('kvtpEvent', (tag: string, event: unknown) =>
      listeners.get(tag)?.(event),
    );
    await page.goto(`${server.url}/automation.html`);
    await page.waitForFunction(() => 'kvtp' in window);
    let nextTag = 0;
    const session: AutomationSession = {
      page,
      browser,
      server,
      async request<T>(
        command: CommandName,
        args: Record<string, unknown>,
        opts: { file?: string; fileArg?: string; onEvent?: (event: unknown) => void } = {},
      ) {
        if (opts.file) await page.setInputFiles('#file', opts.file);
        const tag = `r${nextTag++}`;
        if (opts.onEvent) listeners.set(tag, opts.onEvent);
        try {
          const fileArg = opts.file ? (opts.fileArg ?? 'file') : undefined;
          return (await page.evaluate(
            ([c, a, f, t]) => window.kvtp.request(c as CommandName, a, { fileArg: f, tag: t }),
            [command, args, fileArg, tag] as const,
          )) as Outcome<T>;
        } finally {
          listeners.delete(tag);
        }
      },
      async close() {
        await browser?.close();
        await server.close();
      },
    };
    return session;
  } catch (e) {
    await browser?.close();
    await server.close();
    throw e;
  }
}
