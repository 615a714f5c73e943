// Every sampled frame: its thumbnail with the token grid over it (once a question selected
// tokens), its time, relevance score and budget. Clicking a frame (or Enter on it) plays the
// video from its time (`onSeek`); its enlarge button opens it large.
import { useState } from 'react';
import type { FrameView } from '../store/video.ts';
import type { Selection } from '../engine/types.ts';
import { FrameDetail } from './FrameDetail.tsx';
import { formatTime } from './format.ts';
import { TokenOverlay } from './TokenOverlay.tsx';

export function FrameGrid({
  frames,
  selection,
  picked,
  onPick,
  onSeek,
}: {
  frames: readonly FrameView[];
  selection: Selection | null;
  picked?: number | null;
  onPick?: (index: number | null) => void;
  /** Play the video from this frame's time; without it, a click opens the frame large. */
  onSeek?: (t: number) => void;
}) {
  const [localPick, setLocalPick] = useState<number | null>(null);
  const open = picked !== undefined ? picked : localPick;
  const setOpen = onPick ?? setLocalPick;
  if (frames.length === 0) return null;
  const usable = selection && selection.frames.length === frames.length ? selection : null;
  return (
    <>
      <ol className="frame-grid" aria-label="Sampled frames">
        {frames.map((f, i) => {
          const sel = usable?.frames[i] ?? null;
          const label = sel
            ? `Frame at ${formatTime(f.t, 2)}: score ${sel.score.toFixed(2)}, ${sel.keep} of ${sel.tokens} tokens kept`
            : `Frame at ${formatTime(f.t, 2)}`;
          return (
            <li key={f.index} className="frame-card" data-t={f.t}>
              <button
                type="button"
                className="frame-button"
                aria-label={label}
                title={onSeek ? 'Play the video from here' : undefined}
                onClick={() => (onSeek ? onSeek(f.t) : setOpen(i))}
              >
                {usable ? (
                  <TokenOverlay
                    bitmap={f.thumbnail}
                    frame={sel}
                    grid={usable.grid}
                    imageFit={usable.imageFit}
                    cellPx={Math.max(4, Math.round(192 / usable.grid[1]))}
                    index={i}
                  />
                ) : (
                  <PlainThumb bitmap={f.thumbnail} />
                )}
              </button>
              <div className="frame-meta">
                <span className="frame-time">{formatTime(f.t, 2)}</span>
                {onSeek && (
                  <button
                    type="button"
                    className="frame-enlarge"
                    aria-label={`Enlarge frame at ${formatTime(f.t, 2)}`}
                    title="See it large, with its token groups"
                    onClick={() => setOpen(i)}
                  >
                    ⤢
                  </button>
                )}
                {sel && (
                  <>
                    <span className="frame-score" title="relevance score">
                      {sel.score.toFixed(2)}
                    </span>
                    <span className="frame-budget" title="tokens kept / tokens">
                      {sel.keep}/{sel.tokens}
                    </span>
                  </>
                )}
              </div>
            </li>
          );
        })}
      </ol>
      {open !== null && frames[open] && (
        <FrameDetail
          frame={frames[open]}
          index={open}
          selection={usable}
          onClose={() => setOpen(null)}
        />
      )}
    </>
  );
}

function PlainThumb({ bitmap }: { bitmap: ImageBitmap | null }) {
  return (
    <canvas
      className="thumb-canvas"
      aria-hidden="true"
      ref={(canvas) => {
        if (!canvas || !bitmap || bitmap.width === 0) return;
        canvas.width = bitmap.width;
        canvas.height = bitmap.height;
        canvas.getContext('2d')?.drawImage(bitmap, 0, 0);
      }}
    />
  );
}
