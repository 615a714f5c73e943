// The kept-token overlay of a frame, drawn from exactly what the pipeline reported: kept cells
// clear, dropped cells dimmed, merged cells (members of a kept token's group that are not its
// representative) tinted in the group's colour and outlined as one region. Pure functions of the
// selection; the canvas only paints them.

import type { FrameSelection } from '../engine/types.ts';

export type CellState =
  | { readonly kind: 'kept'; readonly group: number }
  | { readonly kind: 'merged'; readonly group: number }
  | { readonly kind: 'dropped' };

/**
 * The state of each of the frame's N cells. A cell represented by a kept token is `kept`; a cell
 * that only belongs to a group is `merged` into it (for PruMerge, whose groups overlap, into the
 * first group that holds it); every other cell is `dropped`.
 */
export function cellStates(frame: FrameSelection): CellState[] {
  const states: CellState[] = Array.from({ length: frame.tokens }, () => ({ kind: 'dropped' }));
  frame.indices.forEach((rep, group) => {
    states[rep] = { kind: 'kept', group };
  });
  frame.groups.forEach((members, group) => {
    for (const m of members)
      if (states[m]?.kind === 'dropped') states[m] = { kind: 'merged', group };
  });
  return states;
}

/** A distinct, stable hue per group (golden-angle steps). */
export function groupHue(group: number): number {
  return (group * 137.508 + 200) % 360;
}

export const DROPPED_FILL = 'rgba(12, 14, 18, 0.62)';

/**
 * Paint the overlay for `frame` on a canvas of `width` × `height` covering the model's input
 * image, whose token grid is `grid` = [rows, columns].
 */
export function drawOverlay(
  ctx: CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D,
  width: number,
  height: number,
  grid: readonly [number, number],
  frame: FrameSelection,
): void {
  const [rows, cols] = grid;
  const cw = width / cols;
  const ch = height / rows;
  const states = cellStates(frame);
  const groupSize = frame.groups.map((g) => g.length);
  ctx.clearRect(0, 0, width, height);
  states.forEach((s, n) => {
    const x = (n % cols) * cw;
    const y = Math.floor(n / cols) * ch;
    if (s.kind === 'dropped') {
      ctx.fillStyle = DROPPED_FILL;
      ctx.fillRect(x, y, cw, ch);
    } else if (s.kind === 'merged') {
      ctx.fillStyle = `hsla(${groupHue(s.group)}, 85%, 55%, 0.42)`;
      ctx.fillRect(x, y, cw, ch);
    }
  });
  // Outline each merged region (groups of more than one cell) along its boundary edges.
  const regionOf = (n: number) => {
    const s = states[n];
    return s && s.kind !== 'dropped' && (groupSize[s.group] ?? 1) > 1 ? s.group : -1;
  };
  ctx.lineWidth = Math.max(1, Math.min(cw, ch) / 12);
  for (let n = 0; n < states.length; n++) {
    const g = regionOf(n);
    if (g < 0) continue;
    const r = Math.floor(n / cols);
    const c = n % cols;
    ctx.strokeStyle = `hsla(${groupHue(g)}, 90%, 45%, 0.95)`;
    ctx.beginPath();
    const edge = (nr: number, nc: number) =>
      nr < 0 || nc < 0 || nr >= rows || nc >= cols || regionOf(nr * cols + nc) !== g;
    const x0 = c * cw;
    const y0 = r * ch;
    const inset = ctx.lineWidth / 2;
    if (edge(r - 1, c)) line(ctx, x0, y0 + inset, x0 + cw, y0 + inset);
    if (edge(r + 1, c)) line(ctx, x0, y0 + ch - inset, x0 + cw, y0 + ch - inset);
    if (edge(r, c - 1)) line(ctx, x0 + inset, y0, x0 + inset, y0 + ch);
    if (edge(r, c + 1)) line(ctx, x0 + cw - inset, y0, x0 + cw - inset, y0 + ch);
    ctx.stroke();
  }
}

function line(
  ctx: CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D,
  x0: number,
  y0: number,
  x1: number,
  y1: number,
) {
  ctx.moveTo(x0, y0);
  ctx.lineTo(x1, y1);
}
