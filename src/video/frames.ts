// Decoded frames to the ImageBitmaps the worker keeps: turned upright by the track's rotation and
// scaled so the longest edge is at most `maxEdge` (never upscaled). Does not close the VideoFrame
// it is given (its owner does) and keeps nothing.

import type { Rotation } from './types.ts';

export const DEFAULT_MAX_EDGE = 512;

/** Size of a `width`×`height` picture after rotation and scaling to `maxEdge`. */
export function uprightSize(
  width: number,
  height: number,
  rotation: Rotation,
  maxEdge: number,
): { width: number; height: number } {
  const [w, h] = rotation === 90 || rotation === 270 ? [height, width] : [width, height];
  const scale = Math.min(1, maxEdge / Math.max(w, h));
  return {
    width: Math.max(1, Math.round(w * scale)),
    height: Math.max(1, Math.round(h * scale)),
  };
}

/** The frame as an upright bitmap, longest edge ≤ `maxEdge`. */
export async function frameToBitmap(
  frame: VideoFrame,
  rotation: Rotation,
  maxEdge: number,
): Promise<ImageBitmap> {
  const out = uprightSize(frame.displayWidth, frame.displayHeight, rotation, maxEdge);
  if (rotation === 0) {
    if (out.width === frame.displayWidth && out.height === frame.displayHeight) {
      return createImageBitmap(frame);
    }
    return createImageBitmap(frame, {
      resizeWidth: out.width,
      resizeHeight: out.height,
      resizeQuality: 'high',
    });
  }
  // Draw the frame rotated about the canvas centre, in its unrotated (scaled) size.
  const [w, h] = rotation === 180 ? [out.width, out.height] : [out.height, out.width];
  const canvas = new OffscreenCanvas(out.width, out.height);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2D canvas context for rotating frames');
  ctx.imageSmoothingQuality = 'high';
  ctx.translate(out.width / 2, out.height / 2);
  ctx.rotate((rotation * Math.PI) / 180);
  ctx.drawImage(frame, -w / 2, -h / 2, w, h);
  return canvas.transferToImageBitmap();
}
