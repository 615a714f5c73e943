// The open (or opening) video: its facts, sampling progress (one bar over reading the index and
// decoding, with the stage named), the video itself playing beside the strip of sampled frames
// with their times; a frame click plays the video from there.
import { useShallow } from 'zustand/react/shallow';
import { prepareLine, usePrepareStore } from '../store/prepare.ts';
import { useVideoStore } from '../store/video.ts';
import type { VideoInfo } from '../video/types.ts';
import type { Selection } from '../engine/types.ts';
import { codecName, formatBytes, formatTime } from './format.ts';
import { FrameGrid } from './FrameGrid.tsx';
import { Player } from './Player.tsx';

export function VideoPanel({ selection = null }: { selection?: Selection | null }) {
  const pending = useVideoStore((s) => s.pending);
  const info = useVideoStore((s) => s.info);
  const frames = useVideoStore((s) => s.frames);
  const stats = useVideoStore((s) => s.stats);
  const prep = usePrepareStore(
    useShallow((p) => ({ status: p.status, stage: p.stage, done: p.done, total: p.total })),
  );
  const preparing = pending ? null : prepareLine(prep);
  const seek = useVideoStore((s) => s.seek);
  const hasPlayer = useVideoStore((s) => s.url !== null);
  const shownInfo = pending ? pending.info : info;
  const shownFrames = pending ? pending.frames : frames;
  if (!pending && !info) return null;
  return (
    <section className="video-panel" aria-label="Open video">
      <VideoFacts name={pending?.name ?? info?.name ?? ''} info={shownInfo} />
      {pending && (
        <div className="progress-row">
          <progress
            max={1}
            value={pending.progress}
            aria-label={`Sampling frames from ${pending.name}`}
          />
          <span data-testid="video-progress">
            {STAGES[pending.stage ?? 'start']} {Math.round(pending.progress * 100)}%
          </span>
        </div>
      )}
      {!pending && stats && (
        <p className="hint">
          {frames.length} frames sampled in {(stats.elapsedMs / 1000).toFixed(1)} s (
          {stats.decodedSamples} frames decoded)
        </p>
      )}
      {preparing && (
        <div className="progress-row">
          <progress
            max={prep.total || 1}
            value={prep.total ? prep.done : undefined}
            aria-label="Preparing the frames for questions"
          />
          <span data-testid="prepare-progress" role="status">
            {preparing}
          </span>
        </div>
      )}
      <div className={hasPlayer ? 'video-body with-player' : 'video-body'}>
        <Player />
        <FrameGrid
          frames={shownFrames}
          selection={pending ? null : selection}
          {...(hasPlayer && !pending ? { onSeek: seek } : {})}
        />
      </div>
    </section>
  );
}

/** What the one progress bar stands for at each stage (demux fills its first tenth). */
const STAGES = {
  start: 'Opening…',
  demux: 'Reading the index…',
  decode: 'Decoding frames…',
} as const;

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
