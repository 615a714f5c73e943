// A frame as the model saw it (placed in its padded input square) with the kept-token overlay
// painted on a canvas of its own above it, from the selection the pipeline reported.
import { useEffect, useRef } from 'react';
import type { FrameSelection } from '../engine/types.ts';
import { drawOverlay } from './overlay.ts';

export function TokenOverlay({
  bitmap,
  frame,
  grid,
  imageFit,
  cellPx,
  index,
}: {
  bitmap: ImageBitmap | null;
  frame: FrameSelection | null;
  grid: readonly [number, number];
  imageFit: readonly [number, number];
  /** Overlay resolution: pixels per token cell. */
  cellPx: number;
  index: number;
}) {
  const image = useRef<HTMLCanvasElement>(null);
  const overlay = useRef<HTMLCanvasElement>(null);
  const [rows, cols] = grid;
  const width = cols * cellPx;
  const height = rows * cellPx;

  useEffect(() => {
    const ctx = image.current?.getContext('2d');
    if (!ctx) return;
    ctx.fillStyle = '#3a3d42'; // padding the model sees as empty
    ctx.fillRect(0, 0, width, height);
    if (bitmap && bitmap.width > 0) {
      ctx.drawImage(bitmap, 0, 0, width * imageFit[0], height * imageFit[1]);
    }
  }, [bitmap, width, height, imageFit]);

  useEffect(() => {
    const ctx = overlay.current?.getContext('2d');
    if (!ctx) return;
    if (frame) drawOverlay(ctx, width, height, grid, frame);
    else ctx.clearRect(0, 0, width, height);
  }, [frame, grid, width, height]);

  return (
    <div className="token-view" style={{ aspectRatio: `${cols} / ${rows}` }}>
      <canvas ref={image} width={width} height={height} aria-hidden="true" />
      <canvas
        ref={overlay}
        width={width}
        height={height}
        className="token-overlay"
        data-frame={index}
        data-testid={`overlay-${index}`}
        aria-label={
          frame ? `Frame ${index + 1}: ${frame.keep} of ${frame.tokens} tokens kept` : undefined
        }
        role={frame ? 'img' : undefined}
      />
    </div>
  );
}
