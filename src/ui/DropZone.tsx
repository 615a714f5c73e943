// Where a video comes in: drop it anywhere on the zone, or pick it with the file input (labelled
// "Video"). Only hands the File to the store; reading happens in the worker.
import { useState, type DragEvent } from 'react';
import { useVideoStore } from '../store/video.ts';

export function DropZone({ compact }: { compact: boolean }) {
  const open = useVideoStore((s) => s.open);
  const [over, setOver] = useState(false);

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
        {compact ? 'Drop another video here, or' : 'Drop a video here (MP4 or MOV), or'}
      </p>
      <label className="button">
        choose a file…
        <input
          type="file"
          accept="video/mp4,video/quicktime,.mp4,.m4v,.mov"
          aria-label="Video"
          className="visually-hidden"
          onChange={(e) => {
            const file = e.currentTarget.files?.[0];
            if (file) void open(file);
            e.currentTarget.value = '';
          }}
        />
      </label>
      {!compact && <p className="hint">The video never leaves this computer.</p>}
    </section>
  );
}
