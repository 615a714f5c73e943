// Where a video comes in: drop it anywhere on the zone, or pick it with the file input (labelled
// "Video"). Only hands the File to the store; reading happens in the worker.
import { useEffect, useState, type DragEvent } from 'react';
import { useSamplesStore } from '../store/samples.ts';
import { useVideoStore } from '../store/video.ts';

/** What the file picker offers: the containers the video path reads, by type and extension. */
export const ACCEPT =
  'video/mp4,video/quicktime,video/webm,video/x-matroska,.mp4,.m4v,.mov,.webm,.mkv';

export function DropZone({ compact }: { compact: boolean }) {
  const open = useVideoStore((s) => s.open);
  const [over, setOver] = useState(false);
  const samples = useSamplesStore((s) => s.samples);
  const fetching = useSamplesStore((s) => s.fetching);
  const sampleError = useSamplesStore((s) => s.error);
  useEffect(() => void useSamplesStore.getState().load(), []);

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    const file = e.dataTransfer.files[0];
    if (file) void open(file);
  };

  return (
    <section
      className={`dropzone${over ? ' over' : ''}${compact ? ' compact' : ''}`}
      data-testid="dropzone"
      onDragEnter={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragOver={(e) => {
        e.preventDefault();
        e.dataTransfer.dropEffect = 'copy';
      }}
      onDragLeave={(e) => {
        if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setOver(false);
      }}
      onDrop={onDrop}
    >
      <p className="dropzone-title">
        {compact ? 'Drop another video here, or' : 'Drop a video here (MP4, MOV, WebM or MKV), or'}
      </p>
      <label className="button">
        choose a file…
        <input
          type="file"
          accept={ACCEPT}
          aria-label="Video"
          className="visually-hidden"
          onChange={(e) => {
            const file = e.currentTarget.files?.[0];
            if (file) void open(file);
            e.currentTarget.value = '';
          }}
        />
      </label>
      {samples.length > 0 && (
        <div className="samples" role="group" aria-label="Sample videos">
          <span className="hint">{compact ? 'Samples:' : 'No video at hand? Try a sample:'}</span>
          {samples.map((s) => (
            <button
              key={s.file}
              type="button"
              className="button subtle"
              disabled={fetching !== null}
              title={`${s.title} (${s.duration.toFixed(0)} s)`}
              onClick={() =>
                void useSamplesStore
                  .getState()
                  .fetchFile(s)
                  .then((file) => file && open(file))
              }
            >
              {s.title}
            </button>
          ))}
        </div>
      )}
      {sampleError && <p className="turn-error">{sampleError}</p>}
      {!compact && <p className="hint">The video never leaves this computer.</p>}
    </section>
  );
}
