// Privacy enforced by the browser: the app's Content-Security-Policy (cli/csp.ts) in headless
// Chromium. The page and its pipeline worker reach their own origin and the Hub's hosts only: a
// request to any other host is refused by the browser before it leaves (the other server sees
// nothing), from the page and from the worker, while the same request with that host named as a
// custom endpoint (HF_ENDPOINT, a mirror: its host on any port) goes through. The policy is in
// every page and on every response of the command line's server (workers take it from theirs).
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSession } from '../../cli/browser.ts';
import type { AskSettings } from '../../src/engine/types.ts';
import type { OpenResult } from '../../src/worker/protocol.ts';
import { testVideo } from '../fixtures/videos.ts';
import { FIXTURE_SETTINGS } from './fixture-ask.ts';

/** A server on 127.0.0.1 (another host than the app's localhost) that logs what reaches it. */
let other: Server;
let otherUrl: string;
const reached: string[] = [];
let video: string;

beforeAll(async () => {
  other = createServer((req, res) => {
    reached.push(req.url ?? '');
    res.writeHead(404, { 'Access-Control-Allow-Origin': '*' });
    res.end();
  });
  await new Promise<void>((ok) => other.listen(0, '127.0.0.1', ok));
  const a = other.address();
  otherUrl = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  video = await testVideo('h264-bframes');
});
afterAll(async () => {
  other.closeAllConnections();
  await new Promise<void>((ok) => other.close(() => ok()));
});

const settings: AskSettings = {
  ...FIXTURE_SETTINGS,
  keepRatio: 0.5,
  generation: { ...FIXTURE_SETTINGS.generation, maxTokens: 2 },
};

/** From the page: whether a fetch of `url` went through, and the refusals the page saw. */
async function fetchFromPage(page: import('playwright-core').Page, url: string) {
  return page.evaluate(async (u) => {
    const refused: string[] = [];
    const listen = (e: SecurityPolicyViolationEvent) =>
      refused.push(`${e.effectiveDirective} ${e.blockedURI}`);
    document.addEventListener('securitypolicyviolation', listen);
    const ok = await fetch(u).then(
      () => true,
      () => false,
    );
    await new Promise((r) => setTimeout(r, 50)); // the violation event is queued as a task
    document.removeEventListener('securitypolicyviolation', listen);
    return { ok, refused: [...new Set(refused)] }; // once per policy: header and <meta>
  }, url);
}

/** From the worker: a question whose language model is a Hub repo at `endpoint`. */
async function askVia(session: Awaited<ReturnType<typeof openSession>>, endpoint: string) {
  const opened = await session.request<OpenResult>('open', { frames: 2 }, { file: video });
  if (opened.error) throw new Error(opened.error.message);
  return session.request('ask', {
    question: 'What colour?',
    settings,
    models: {
      vlm: { kind: 'hub', repo: 'someone/elsewhere', endpoint },
      relevance: 'fixture-relevance',
    },
  });
}

describe('the Content-Security-Policy', () => {
  it('refuses, from the page and from its worker, any host but its own and the Hub’s', async () => {
    const session = await openSession();
    try {
      const page = session.page;
      const policy = await page.evaluate(
        () =>
          document
            .querySelector('meta[http-equiv="Content-Security-Policy"]')
            ?.getAttribute('content') ?? '',
      );
      expect(policy).toMatch(
        /connect-src 'self' https:\/\/huggingface\.co https:\/\/\*\.huggingface\.co https:\/\/hf\.co https:\/\/\*\.hf\.co;/,
      );
      expect(policy).not.toMatch(/script-src[^;]*unsafe-inline/);
      reached.length = 0;
      const fromPage = await fetchFromPage(page, `${otherUrl}/from-the-page`);
      expect(fromPage).toEqual({ ok: false, refused: [`connect-src ${otherUrl}/from-the-page`] });
      // an inline script does not run
      const inline = await page.evaluate(async () => {
        const s = document.createElement('script');
        s.textContent = 'window.__inlineRan = true';
        document.body.append(s);
        await new Promise((r) => setTimeout(r, 50));
        return (window as { __inlineRan?: boolean }).__inlineRan ?? false;
      });
      expect(inline).toBe(false);
      const asked = await askVia(session, otherUrl);
      expect(asked.error).toBeDefined();
      expect(reached).toEqual([]); // nothing left the browser
      // the page's own origin is fine
      expect((await fetchFromPage(page, `${session.server.url}/automation.html`)).ok).toBe(true);
    } finally {
      await session.close();
    }
  });

  it('lets in a custom endpoint’s host on any port, and still nothing else', async () => {
    const session = await openSession({ endpoints: [otherUrl] });
    try {
      const served = await fetch(`${session.server.url}/automation.html`);
      const header = served.headers.get('Content-Security-Policy')!;
      expect(header).toContain(`connect-src 'self' https://huggingface.co`);
      expect(header).toContain(' http://127.0.0.1:*');
      expect(await served.text()).toContain(`http://127.0.0.1:*`); // the page's <meta> too
      const script = /src="(\/assets\/automation-[^"]+\.js)"/.exec(
        await (await fetch(`${session.server.url}/automation.html`)).text(),
      )![1]!;
      const js = await fetch(`${session.server.url}${script}`);
      expect(js.headers.get('Content-Security-Policy')).toBe(header);
      reached.length = 0;
      await askVia(session, otherUrl);
      // the worker reached the endpoint (which has no such repo)
      expect(reached).toContain('/someone/elsewhere/resolve/main/config.json');
      const page = session.page;
      expect((await fetchFromPage(page, `${otherUrl}/from-the-page`)).ok).toBe(true);
      // a host that is not the endpoint's stays refused
      const elsewhere = otherUrl.replace('127.0.0.1', '127.0.0.2');
      const refused = await fetchFromPage(page, `${elsewhere}/x`);
      expect(refused.ok).toBe(false);
      expect(refused.refused).toEqual([`connect-src ${elsewhere}/x`]);
    } finally {
      await session.close();
    }
  });
});
