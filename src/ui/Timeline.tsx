// The question's footprint on the video: relevance scores as a curve over the video's time line,
// each sampled frame's budget (kept / N) as a bar, so the selected moments show at a glance. A
// point of the curve or a bar (clicked, or focused and Enter / Space) plays the video from that
// frame (`onSeek`); the player's time is marked as a vertical line.
import type { KeyboardEvent } from 'react';
import type { Selection } from '../engine/types.ts';
import { formatTime, timeTicks } from './format.ts';

const W = 1000;
const H = 150;
const PAD = { left: 36, right: 10, top: 10, bottom: 22 };

export function Timeline({
  selection,
  duration,
  onPick,
  onSeek,
  playhead = null,
}: {
  selection: Selection;
  duration: number;
  onPick?: (frame: number) => void;
  /** Play the video from a frame's time. */
  onSeek?: (t: number) => void;
  /** The player's time (seconds), marked on the time line. */
  playhead?: number | null;
}) {
  const { frames } = selection;
  if (frames.length === 0) return null;
  const span = Math.max(duration, frames[frames.length - 1]!.t, 1e-6);
  const innerW = W - PAD.left - PAD.right;
  const innerH = H - PAD.top - PAD.bottom;
  const x = (t: number) => PAD.left + (t / span) * innerW;
  const scores = frames.map((f) => f.score);
  const lo = Math.min(...scores);
  const hi = Math.max(...scores);
  const y = (s: number) => PAD.top + innerH - (hi > lo ? (s - lo) / (hi - lo) : 0.5) * innerH;
  const barW = Math.max(2, Math.min(24, (innerW / frames.length) * 0.7));
  const curve = frames.map(
    (f, i) => `${i ? 'L' : 'M'}${x(f.t).toFixed(1)},${y(f.score).toFixed(1)}`,
  );
  const { ticks, decimals } = timeTicks(span);
  const pick = (i: number) => {
    onPick?.(i);
    onSeek?.(frames[i]!.t);
  };
  const onKey = (i: number) => (e: KeyboardEvent) => {
    if (e.key !== 'Enter' && e.key !== ' ') return;
    e.preventDefault();
    pick(i);
  };
  return (
    <figure className="timeline">
      <svg
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-label={`Relevance of ${frames.length} frames over ${formatTime(span)}; bars show tokens kept`}
      >
        <line
          x1={PAD.left}
          x2={W - PAD.right}
          y1={H - PAD.bottom}
          y2={H - PAD.bottom}
          className="axis"
        />
        {ticks.map((t) => (
          <text
            key={t}
            x={x(t)}
            y={H - 6}
            className="tick"
            // the last label ends at the axis' end rather than past the picture's edge
            textAnchor={
              x(t) > W - PAD.right - 20 ? 'end' : x(t) < PAD.left + 20 ? 'start' : 'middle'
            }
          >
            {formatTime(t, decimals)}
          </text>
        ))}
        {frames.map((f, i) => {
          const h = (f.keep / Math.max(1, f.tokens)) * innerH;
          return (
            <rect
              key={i}
              className="budget-bar"
              x={x(f.t) - barW / 2}
              y={PAD.top + innerH - h}
              width={barW}
              height={h}
              onClick={() => pick(i)}
            >
              <title>
                {`${formatTime(f.t, 2)}: score ${f.score.toFixed(2)}, kept ${f.keep}/${f.tokens}`}
              </title>
            </rect>
          );
        })}
        <path d={curve.join(' ')} className="score-curve" />
        {frames.map((f, i) => (
          <circle
            key={i}
            cx={x(f.t)}
            cy={y(f.score)}
            r={onSeek ? 5 : 3}
            className="score-dot"
            {...(onSeek
              ? {
                  role: 'button',
                  tabIndex: 0,
                  'aria-label': `Play from ${formatTime(f.t, 2)} (score ${f.score.toFixed(2)})`,
                  onClick: () => pick(i),
                  onKeyDown: onKey(i),
                }
              : {})}
          />
        ))}
        {playhead !== null && playhead <= span && (
          <line
            x1={x(playhead)}
            x2={x(playhead)}
            y1={PAD.top}
            y2={H - PAD.bottom}
            className="playhead"
            data-testid="timeline-playhead"
            data-t={playhead}
          >
            <title>{`Playing at ${formatTime(playhead, 2)}`}</title>
          </line>
        )}
        <text x={4} y={PAD.top + 8} className="tick">
          score
        </text>
      </svg>
      <figcaption className="hint">
        Line: relevance score of each sampled frame. Bars: share of its tokens the frame keeps.
        {onSeek &&
          ' A point or a bar plays the video from that frame; the upright line is where it plays.'}
      </figcaption>
    </figure>
  );
}
