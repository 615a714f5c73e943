// @vitest-environment happy-dom
// The video on the page: the store gives the open file an object URL (kept on a resample,
// revoked when another video lands) and passes seeks to the player; the player plays that URL
// and goes where it is asked; a frame click, a point of the relevance curve (click or keyboard)
// and a time in an answer each seek it; the timeline marks the playing time; the drop zone and
// picker take WebM and MKV; the times an answer mentions are found in its text.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { Chat } from '../../src/ui/Chat.tsx';
import { ACCEPT, DropZone } from '../../src/ui/DropZone.tsx';
import { FrameGrid } from '../../src/ui/FrameGrid.tsx';
import { Player } from '../../src/ui/Player.tsx';
import { Timeline } from '../../src/ui/Timeline.tsx';
import { answerPieces } from '../../src/ui/timestamps.ts';
import { setPipelineClient } from '../../src/store/pipeline.ts';
import { useVideoStore } from '../../src/store/video.ts';
import type { Selection } from '../../src/engine/types.ts';
import { fakePipeline, sampleInfo } from './fake-worker.ts';

beforeEach(() => useVideoStore.setState(useVideoStore.getInitialState()));
afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});

/** A worker that opens any file as a 10 s video with three frames at 1, 3 and 5 s. */
function openingWorker() {
  return fakePipeline((req, send) => {
    if (req.command !== 'open') return;
    const info = { ...sampleInfo, name: (req.args as { name: string }).name };
    send({
      type: 'result',
      id: req.id,
      result: {
        info,
        frames: [1, 3, 5].map((t, index) => ({ index, t })),
        elapsedMs: 5,
        decodedSamples: 3,
      },
    });
  });
}

const webm = new File([new Uint8Array([0x1a, 0x45, 0xdf, 0xa3])], 'rec.webm', {
  type: 'video/webm',
});
const mkv = new File([new Uint8Array([0x1a, 0x45, 0xdf, 0xa3])], 'film.mkv', {
  type: 'video/x-matroska',
});

describe('the store’s player state', () => {
  it('gives the open file an object URL, keeps it on a resample, revokes it for the next', async () => {
    const revoke = vi.spyOn(URL, 'revokeObjectURL');
    setPipelineClient(openingWorker().client);
    await useVideoStore.getState().open(webm);
    const first = useVideoStore.getState().url;
    expect(first).toMatch(/^blob:/);
    await useVideoStore.getState().resample();
    expect(useVideoStore.getState().url).toBe(first);
    expect(revoke).not.toHaveBeenCalled();
    await useVideoStore.getState().open(mkv);
    const second = useVideoStore.getState().url;
    expect(second).toMatch(/^blob:/);
    expect(second).not.toBe(first);
    expect(revoke).toHaveBeenCalledExactlyOnceWith(first);
  });

  it('keeps the open video’s URL when the next file fails', async () => {
    setPipelineClient(openingWorker().client);
    await useVideoStore.getState().open(webm);
    const url = useVideoStore.getState().url;
    setPipelineClient(
      fakePipeline((req, send) => {
        if (req.command === 'open')
          send({ type: 'error', id: req.id, error: { code: 'corrupt', message: 'Damaged.' } });
      }).client,
    );
    await useVideoStore.getState().open(mkv);
    expect(useVideoStore.getState().url).toBe(url);
  });

  it('numbers each seek, so the same time twice seeks twice; ignores nonsense', () => {
    const { seek } = useVideoStore.getState();
    seek(3);
    seek(3);
    expect(useVideoStore.getState().seekTo).toEqual({ t: 3, n: 2 });
    seek(Number.NaN);
    seek(-1);
    expect(useVideoStore.getState().seekTo).toEqual({ t: 3, n: 2 });
  });
});

describe('Player', () => {
  it('plays the object URL with controls and goes where it is asked, once it can', async () => {
    setPipelineClient(openingWorker().client);
    await useVideoStore.getState().open(webm);
    render(<Player />);
    const video = screen.getByLabelText('Video rec.webm') as HTMLVideoElement;
    expect(video.getAttribute('src')).toBe(useVideoStore.getState().url);
    expect(video.controls).toBe(true);
    act(() => useVideoStore.getState().seek(3));
    // happy-dom loads no media: the player waits for the metadata, as before a real load.
    expect(video.currentTime).toBe(0);
    act(() => void video.dispatchEvent(new Event('loadedmetadata')));
    expect(video.currentTime).toBe(3);
    expect(screen.getByTestId('player-time').textContent).toBe('0:03.00');
  });

  it('draws nothing without a video', () => {
    const { container } = render(<Player />);
    expect(container.innerHTML).toBe('');
  });
});

const selection: Selection = {
  question: 'where is the car?',
  settings: {} as Selection['settings'],
  grid: [2, 2],
  imageFit: [1, 1],
  frames: [1, 3, 5].map((t, i) => ({
    t,
    score: i,
    keep: 1 + i,
    tokens: 4,
    indices: [],
    groups: [],
  })),
  visualTotal: 12,
  visualKept: 6,
};

describe('what seeks the player', () => {
  it('a frame click seeks; its enlarge button opens it large', () => {
    const onSeek = vi.fn();
    const frames = [1, 3, 5].map((t, index) => ({ index, t, thumbnail: null }));
    render(<FrameGrid frames={frames} selection={null} onSeek={onSeek} />);
    fireEvent.click(screen.getByRole('button', { name: 'Frame at 0:03.00' }));
    expect(onSeek).toHaveBeenCalledExactlyOnceWith(3);
    expect(screen.queryByRole('dialog')).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Enlarge frame at 0:05.00' }));
    expect(document.querySelector('dialog.frame-detail')).not.toBeNull();
    expect(onSeek).toHaveBeenCalledTimes(1);
  });

  it('a point of the relevance curve seeks, by click or by Enter and Space', () => {
    const onSeek = vi.fn();
    render(<Timeline selection={selection} duration={10} onSeek={onSeek} playhead={null} />);
    const points = screen.getAllByRole('button', { name: /^Play from / });
    expect(points.map((p) => p.getAttribute('aria-label'))).toEqual([
      'Play from 0:01.00 (score 0.00)',
      'Play from 0:03.00 (score 1.00)',
      'Play from 0:05.00 (score 2.00)',
    ]);
    expect(points.every((p) => p.getAttribute('tabindex') === '0')).toBe(true);
    fireEvent.click(points[1]!);
    fireEvent.keyDown(points[2]!, { key: 'Enter' });
    fireEvent.keyDown(points[0]!, { key: ' ' });
    fireEvent.keyDown(points[0]!, { key: 'a' });
    expect(onSeek.mock.calls).toEqual([[3], [5], [1]]);
  });

  it('the timeline marks the playing time, and only within the video', () => {
    const { rerender } = render(
      <Timeline selection={selection} duration={10} onSeek={() => {}} playhead={null} />,
    );
    expect(screen.queryByTestId('timeline-playhead')).toBeNull();
    rerender(<Timeline selection={selection} duration={10} onSeek={() => {}} playhead={2.5} />);
    const line = screen.getByTestId('timeline-playhead');
    expect(line.getAttribute('data-t')).toBe('2.5');
    // 36 px of axis labels, then 954 of 1000 px for 10 s.
    expect(Number(line.getAttribute('x1'))).toBeCloseTo(36 + 0.25 * 954, 6);
    rerender(<Timeline selection={selection} duration={10} onSeek={() => {}} playhead={11} />);
    expect(screen.queryByTestId('timeline-playhead')).toBeNull();
  });

  it('a time in an answer is a link that seeks', () => {
    const onSeek = vi.fn();
    render(
      <Chat
        turns={[
          {
            id: 1,
            question: 'When?',
            answer: 'The red car appears at 0:03 and again after 5.5 s, not at 0:42.',
            status: 'done',
            stage: null,
            figures: null,
            error: null,
          },
        ]}
        busy={false}
        disabledReason={null}
        onAsk={() => {}}
        onStop={() => {}}
        onExport={() => {}}
        onSeek={onSeek}
        duration={10}
      />,
    );
    const links = screen.getAllByRole('button', { name: /^Play from / });
    expect(links.map((l) => l.textContent)).toEqual(['0:03', '5.5 s']); // 0:42 is past the end
    expect(screen.getByTestId('answer').textContent).toBe(
      'The red car appears at 0:03 and again after 5.5 s, not at 0:42.',
    );
    fireEvent.click(links[1]!);
    expect(onSeek).toHaveBeenCalledExactlyOnceWith(5.5);
  });
});

describe('answerPieces', () => {
  it.each([
    ['at 1:12 and 1:02:05.5', [72, 3725.5]],
    ['12 s, 4.5 seconds, 3sec, 1 second', [12, 4.5, 3, 1]],
    ['no times: 12 frames, 10:61, 5 sets', []],
  ])('%s', (text, seconds) => {
    const pieces = answerPieces(text);
    expect(pieces.flatMap((p) => ('seconds' in p ? [p.seconds] : []))).toEqual(seconds);
    expect(pieces.map((p) => p.text).join('')).toBe(text);
  });
});

describe('DropZone', () => {
  it('offers WebM and MKV in the picker and says so', () => {
    setPipelineClient(openingWorker().client);
    render(<DropZone compact={false} />);
    const input = screen.getByLabelText('Video') as HTMLInputElement;
    expect(input.accept).toBe(ACCEPT);
    for (const kind of ['video/webm', 'video/x-matroska', '.webm', '.mkv', '.mp4', '.mov'])
      expect(ACCEPT.split(',')).toContain(kind);
    expect(screen.getByText(/MP4, MOV, WebM or MKV/)).toBeTruthy();
  });
});
