// One frame, large: the token grid over it and the list of its kept tokens with the cells each
// stands for. A modal dialog (Escape or the button closes it).
import { useEffect, useRef } from 'react';
import type { FrameView } from '../store/video.ts';
import type { Selection } from '../engine/types.ts';
import { formatTime } from './format.ts';
import { groupHue } from './overlay.ts';
import { TokenOverlay } from './TokenOverlay.tsx';

export function FrameDetail({
  frame,
  index,
  selection,
  onClose,
}: {
  frame: FrameView;
  index: number;
  selection: Selection | null;
  onClose: () => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = dialog.current;
    if (d && !d.open) d.showModal?.();
  }, []);
  const sel = selection?.frames[index] ?? null;
  const cols = selection?.grid[1] ?? 1;
  const cell = (n: number) => `(${Math.floor(n / cols)},${n % cols})`;
  return (
    <dialog
      ref={dialog}
      className="frame-detail"
      aria-label={`Frame ${index + 1} at ${formatTime(frame.t, 2)}`}
      onClose={onClose}
      onCancel={onClose}
    >
      <header>
        <h2>
          Frame {index + 1} · {formatTime(frame.t, 2)}
        </h2>
        <button type="button" className="button subtle" onClick={onClose} autoFocus>
          Close
        </button>
      </header>
      <div className="frame-detail-body">
        {selection ? (
          <TokenOverlay
            bitmap={frame.thumbnail}
            frame={sel}
            grid={selection.grid}
            imageFit={selection.imageFit}
            cellPx={Math.max(8, Math.round(480 / selection.grid[1]))}
            index={index}
          />
        ) : (
          <p className="hint">Ask a question to see which tokens this frame keeps.</p>
        )}
        {sel && (
          <section className="groups" aria-label="Kept tokens and their groups">
            <p>
              Score {sel.score.toFixed(3)} · kept {sel.keep} of {sel.tokens} tokens (
              {selection?.settings.method})
            </p>
            <ol>
              {sel.indices.map((rep, j) => (
                <li key={j}>
                  <span
                    className="swatch"
                    style={{ background: `hsl(${groupHue(j)}, 85%, 55%)` }}
                  />
                  token {rep} {cell(rep)}
                  {sel.groups[j] && sel.groups[j].length > 1
                    ? ` ← ${sel.groups[j].length} cells: ${sel.groups[j].map(cell).join(' ')}`
                    : ''}
                </li>
              ))}
            </ol>
          </section>
        )}
      </div>
    </dialog>
  );
}
