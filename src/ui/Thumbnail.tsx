// A frame thumbnail: draws an ImageBitmap (from the worker) into a canvas.
import { useEffect, useRef } from 'react';

export function Thumbnail({ bitmap, label }: { bitmap: ImageBitmap | null; label: string }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const canvas = ref.current;
    if (!canvas || !bitmap || bitmap.width === 0) return;
    canvas.width = bitmap.width;
    canvas.height = bitmap.height;
    canvas.getContext('2d')?.drawImage(bitmap, 0, 0);
  }, [bitmap]);
  return <canvas ref={ref} className="thumb-canvas" role="img" aria-label={label} />;
}
