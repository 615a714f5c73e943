// The dropped video itself, playing in the page from an object URL of the file (nothing leaves
// the machine). Goes where the store's `seekTo` says (a frame, a point of the relevance curve, a
// time in an answer) and reports its time back as `playhead`. The browser's own controls make
// it keyboard usable (Tab to it; Space plays, arrows step). Draws nothing when no video is open.
import { useEffect, useRef, useState } from 'react';
import { useVideoStore } from '../store/video.ts';
import { formatTime } from './format.ts';

export function Player() {
  const url = useVideoStore((s) => s.url);
  const name = useVideoStore((s) => s.info?.name ?? '');
  const seekTo = useVideoStore((s) => s.seekTo);
  const playhead = useVideoStore((s) => s.playhead);
  const setPlayhead = useVideoStore((s) => s.setPlayhead);
  const video = useRef<HTMLVideoElement>(null);
  // The URL the element failed to play (the browser's player may lack what WebCodecs has).
  const [failed, setFailed] = useState<string | null>(null);

  useEffect(() => {
    const v = video.current;
    if (!v || !seekTo) return;
    const go = () => {
      v.currentTime = seekTo.t;
      setPlayhead(seekTo.t);
    };
    // Before its metadata the element cannot seek yet: go once it has it.
    if (v.readyState >= 1) go();
    else v.addEventListener('loadedmetadata', go, { once: true });
    return () => v.removeEventListener('loadedmetadata', go);
  }, [seekTo, setPlayhead]);

  if (!url) return null;
  return (
    <figure className="player">
      <video
        ref={video}
        src={url}
        controls
        preload="metadata"
        playsInline
        aria-label={`Video ${name}`}
        data-testid="player"
        onTimeUpdate={(e) => setPlayhead(e.currentTarget.currentTime)}
        onSeeked={(e) => setPlayhead(e.currentTarget.currentTime)}
        onError={() => setFailed(url)}
      />
      {failed === url && (
        <p className="notice" role="status">
          This browser’s player cannot play this file itself; its frames and the answers do not
          depend on it.
        </p>
      )}
      <figcaption className="hint">
        At <output data-testid="player-time">{formatTime(playhead ?? 0, 2)}</output>. A frame, a
        point of the relevance curve or a time in an answer plays from there.
      </figcaption>
    </figure>
  );
}
