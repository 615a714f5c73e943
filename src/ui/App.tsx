// The page, one flow: a video comes in and its frames are sampled and shown; a question selects
// tokens (drawn over every frame and on the time line) and the answer streams. On a wide screen
// the conversation sits beside the frames (sticky), so asking never means scrolling past them;
// on a narrow one it follows them.
import { useEffect } from 'react';
import { DEFAULT_RELEVANCE } from '../models/registry.ts';
import { useAskStore } from '../store/ask.ts';
import { useEnvStore } from '../store/env.ts';
import { sampleNamed, useSamplesStore } from '../store/samples.ts';
import { useVideoStore } from '../store/video.ts';
import { Chat } from './Chat.tsx';
import { Controls } from './Controls.tsx';
import { DropZone } from './DropZone.tsx';
import { EnvironmentNotice } from './EnvironmentNotice.tsx';
import { ModelPanel } from './ModelPanel.tsx';
import { ErrorBanner } from './ErrorBanner.tsx';
import { Timeline } from './Timeline.tsx';
import { VideoPanel } from './VideoPanel.tsx';

function download(name: string, text: string) {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function App() {
  const hasVideo = useVideoStore((s) => s.info !== null || s.pending !== null);
  const info = useVideoStore((s) => s.info);
  const sampling = useVideoStore((s) => s.pending !== null);
  const error = useVideoStore((s) => s.error);
  const dismissError = useVideoStore((s) => s.dismissError);
  const setFrameCount = useVideoStore((s) => s.setFrameCount);
  const resample = useVideoStore((s) => s.resample);
  const frameCount = useVideoStore((s) => s.frames.length);
  const seek = useVideoStore((s) => s.seek);
  const playhead = useVideoStore((s) => s.playhead);
  const hasPlayer = useVideoStore((s) => s.url !== null);
  const ask = useAskStore();
  const samples = useSamplesStore((s) => s.samples);
  const sample = sampleNamed(samples, info?.name);
  const capabilities = useEnvStore((s) => s.capabilities);
  const envError = useEnvStore((s) => s.error);
  useEffect(() => void useEnvStore.getState().check(), []);
  // the remembered frame count applies to the first video too
  useEffect(() => {
    useVideoStore.getState().setFrameCount(useAskStore.getState().controls.frames);
  }, []);

  // a new video: the old question's selection no longer applies
  useEffect(() => useAskStore.getState().resetForVideo(), [info]);

  const disabledReason = !info
    ? 'Open a video first.'
    : sampling
      ? 'The video is still being sampled.'
      : null;
  return (
    <div className="app">
      <header className="app-header">
        <h1>kvtp-web</h1>
        <p className="tagline">Ask your video, on your own GPU. Nothing is uploaded.</p>
      </header>
      <EnvironmentNotice env={{ capabilities, error: envError }} />
      <ModelPanel />
      <main className={`layout${info ? ' with-side' : ''}`}>
        <div className="workspace">
          {error && <ErrorBanner error={error} onDismiss={dismissError} />}
          <DropZone compact={hasVideo} />
          {info && (
            <Controls
              values={ask.controls}
              onChange={(patch) => {
                ask.setControls(patch);
                if (patch.frames !== undefined) setFrameCount(patch.frames);
              }}
              learnedHead={DEFAULT_RELEVANCE.files.head !== null}
              sampledFrames={sampling ? null : frameCount}
              onResample={() => void resample()}
            />
          )}
          {info && ask.selection && (
            <Timeline
              selection={ask.selection}
              duration={info.duration}
              {...(hasPlayer ? { onSeek: seek, playhead } : {})}
            />
          )}
          <VideoPanel selection={ask.selection} />
        </div>
        {info && (
          <aside className="side" aria-label="Conversation">
            <Chat
              turns={ask.turns}
              busy={ask.busy}
              disabledReason={disabledReason}
              onAsk={(q) => void ask.ask(q)}
              onStop={ask.stop}
              {...(hasPlayer ? { onSeek: seek, duration: info.duration } : {})}
              suggestions={sample ? sample.questions.map((q) => q.question) : []}
              onExport={(id) => {
                const text = ask.exportTurn(id);
                if (text) download(`kvtp-run-${id}.json`, text);
              }}
            />
          </aside>
        )}
      </main>
    </div>
  );
}
