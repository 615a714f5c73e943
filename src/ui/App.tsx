// The page, one flow top to bottom: a video comes in, its frames are sampled and shown.
import { useVideoStore } from '../store/video.ts';
import { DropZone } from './DropZone.tsx';
import { ErrorBanner } from './ErrorBanner.tsx';
import { VideoPanel } from './VideoPanel.tsx';

export function App() {
  const hasVideo = useVideoStore((s) => s.info !== null || s.pending !== null);
  const error = useVideoStore((s) => s.error);
  const dismissError = useVideoStore((s) => s.dismissError);
  return (
    <div className="app">
      <header className="app-header">
        <h1>kvtp-web</h1>
        <p className="tagline">Ask your video, on your own GPU. Nothing is uploaded.</p>
      </header>
      <main>
        {error && <ErrorBanner error={error} onDismiss={dismissError} />}
        <DropZone compact={hasVideo} />
        <VideoPanel />
      </main>
    </div>
  );
}
