// The open (or opening) video: its facts, sampling progress, and the strip of sampled frames
// with their times.
import { useVideoStore, type FrameView } from '../store/video.ts';
import type { VideoInfo } from '../video/types.ts';
import { codecName, formatBytes, formatTime } from './format.ts';
import { Thumbnail } from './Thumbnail.tsx';

export function VideoPanel() {
  const pending = useVideoStore((s) => s.pending);
  const info = useVideoStore((s) => s.info);
  const frames = useVideoStore((s) => s.frames);
  const stats = useVideoStore((s) => s.stats);
  const shownInfo = pending ? pending.info : info;
  const shownFrames = pending ? pending.frames : frames;
  if (!pending && !info) return null;
  return (
    <section className="video-panel" aria-label="Video">
      <VideoFacts name={pending?.name ?? info?.name ?? ''} info={shownInfo} />
      {pending && (
        <div className="progress-row">
          <progress
            max={1}
            value={pending.progress}
            aria-label={`Sampling frames from ${pending.name}`}
          />
          <span>Sampling frames… {Math.round(pending.progress * 100)}%</span>
        </div>
      )}
      {!pending && stats && (
        <p className="hint">
          {frames.length} frames sampled in {(stats.elapsedMs / 1000).toFixed(1)} s (
          {stats.decodedSamples} samples decoded)
        </p>
      )}
      <FrameStrip frames={shownFrames} />
    </section>
  );
}

function VideoFacts({ name, info }: { name: string; info: VideoInfo | null }) {
  return (
    <dl className="facts">
      <div>
        <dt>File</dt>
        <dd data-testid="video-name">{name}</dd>
      </div>
      {info && (
        <>
          <div>
            <dt>Duration</dt>
            <dd data-testid="video-duration">{formatTime(info.duration, 2)}</dd>
          </div>
          <div>
            <dt>Resolution</dt>
            <dd data-testid="video-resolution">
              {info.width}×{info.height}
              {info.rotation ? ` (rotated ${info.rotation}°)` : ''}
            </dd>
          </div>
          <div>
            <dt>Codec</dt>
            <dd data-testid="video-codec">{codecName(info.codec)}</dd>
          </div>
          <div>
            <dt>Size</dt>
            <dd>{formatBytes(info.size)}</dd>
          </div>
        </>
      )}
    </dl>
  );
}

function FrameStrip({ frames }: { frames: readonly FrameView[] }) {
  if (frames.length === 0) return null;
  return (
    <ol className="frame-strip" aria-label="Sampled frames">
      {frames.map((f) => (
        <li key={f.index} className="frame" data-t={f.t}>
          <Thumbnail bitmap={f.thumbnail} label={`Frame at ${formatTime(f.t, 2)}`} />
          <span className="frame-time">{formatTime(f.t, 2)}</span>
        </li>
      ))}
    </ol>
  );
}
