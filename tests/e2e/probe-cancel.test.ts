// Cancelling the video path in headless Chromium, through the automation page and the pipeline
// worker: a running sampling stops promptly and the worker stays usable; a new open cancels the
// running one; and whenever a cancel lands (while decoding, while the thumbnails are made, or too
// late), the worker's open video is the last open that answered a result, never a cancelled one.
import { basename } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSession, type AutomationSession, type Outcome } from '../../cli/browser.ts';
import type { OpenResult, PipelineEvent } from '../../src/worker/protocol.ts';
import { testVideo, type VideoName } from '../fixtures/videos.ts';

let session: AutomationSession;
beforeAll(async () => {
  session = await openSession();
});
afterAll(() => session?.close());

async function probe(
  name: VideoName,
  frames: number,
  onEvent?: (e: PipelineEvent) => void,
  thumbnailEdge = 0,
) {
  const file = await testVideo(name);
  return session.request<OpenResult>(
    'open',
    { frames, thumbnailEdge },
    { file, onEvent: onEvent as (e: unknown) => void },
  );
}

/** The name of the video the worker holds (null: none). */
async function heldVideo(): Promise<string | null> {
  const held = await session.request<Omit<OpenResult, 'elapsedMs'> | null>('video', {});
  expect(held.error).toBeUndefined();
  return held.result?.info.name ?? null;
}

const cancelAll = () => session.page.evaluate(() => window.kvtp.cancelAll());

describe('cancellation', () => {
  /** Start a long sampling and resolve once its decoding is under way. */
  function startLong(): { outcome: Promise<Outcome<OpenResult>>; decoding: Promise<void> } {
    let started!: () => void;
    const decoding = new Promise<void>((r) => (started = r));
    const outcome = probe('h264-long', 256, (e) => {
      if (e.type === 'progress' && e.stage === 'decode') started();
    });
    return { outcome, decoding };
  }

  it('stops a running sampling when asked, and the worker stays usable', async () => {
    const long = startLong();
    await long.decoding;
    await cancelAll();
    expect((await long.outcome).error?.code).toBe('cancelled');
    const next = await probe('h264-bframes', 8);
    expect(next.result?.frames.length).toBe(8);
  });

  it('a new open cancels the running one', async () => {
    const long = startLong();
    await long.decoding;
    const next = probe('h264-faststart', 8);
    expect((await long.outcome).error?.code).toBe('cancelled');
    expect((await next).result?.frames.length).toBe(8);
  });

  // Video A open; B opened with thumbnails and cancelled by the page itself the moment its k-th
  // frame event arrives (no round trip through the test); then C, a file that fails. Whatever B
  // answered decides what the worker holds: B if a result, else A.
  it.each([1, 12, 23, 24])(
    'a cancel at frame event %i: the worker holds the last video that answered',
    async (k) => {
      const a = await probe('h264-faststart', 4);
      expect(a.error).toBeUndefined();
      const nameA = basename(await testVideo('h264-faststart'));
      const nameB = basename(await testVideo('h264-bframes'));
      expect(await heldVideo()).toBe(nameA);
      await cancelAtFrameEvent(k);
      let seen = 0;
      const b = await probe('h264-bframes', 24, (e) => void (e.type === 'frame' && seen++), 192);
      expect(seen, 'frame events before B answered').toBeGreaterThanOrEqual(k);
      if (b.error) expect(b.error.code).toBe('cancelled');
      else expect(b.result.frames).toHaveLength(24);
      expect(await heldVideo()).toBe(b.error ? nameA : nameB);
      const c = await probe('text', 8);
      expect(c.error?.code).toBe('unsupported-container');
      expect(await heldVideo()).toBe(b.error ? nameA : nameB);
    },
  );
});

/** Make the automation page cancel its requests when the k-th frame event of the next reaches it. */
function cancelAtFrameEvent(k: number): Promise<void> {
  return session.page.evaluate((k) => {
    const forward = window.kvtpEvent;
    let seen = 0;
    window.kvtpEvent = (tag, event) => {
      if ((event as { type: string }).type === 'frame' && ++seen === k) {
        window.kvtp.cancelAll();
        window.kvtpEvent = forward;
      }
      forward?.(tag, event);
    };
  }, k);
}
