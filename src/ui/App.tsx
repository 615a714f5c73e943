// The page, one flow: a video comes in and its frames are sampled and shown; a question selects
// tokens (drawn over every frame and on the time line) and the answer streams. On a wide screen
// the conversation sits beside the frames (sticky), so asking never means scrolling past them;
// on a narrow one it follows them. Each part subscribes to the slices it draws: a streamed token
// re-renders the conversation's streaming turn, nothing else.
import { useCallback, useEffect } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { useConversationStore } from '../store/conversation.ts';
import { useEnvStore } from '../store/env.ts';
import { infoOf, showDemoNotice, useModelsStore } from '../store/models.ts';
import { usePrepareStore } from '../store/prepare.ts';
import { sampleNamed, useSamplesStore } from '../store/samples.ts';
import { useVideoStore } from '../store/video.ts';
import type { Selection } from '../engine/types.ts';
import { Chat } from './Chat.tsx';
import { Controls } from './Controls.tsx';
import { DemoNotice } from './DemoNotice.tsx';
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
  const controls = useConversationStore((s) => s.controls);
  const selection = useConversationStore((s) => s.selection);
  // the learned head is offered when the chosen relevance model has one
  const learnedHead = useModelsStore(
    (s) => infoOf(s.models, s.chosen.relevance)?.learnedHead === true,
  );
  const seek = useVideoStore((s) => s.seek);
  const hasPlayer = useVideoStore((s) => s.url !== null);
  const samples = useSamplesStore((s) => s.samples);
  // the demo model and a video that is not one of its samples: said before the first answer
  const demoNotice = useModelsStore((s) => showDemoNotice(s, info, samples));
  const switchFromDemo = useModelsStore((s) => s.switchFromDemo);
  const keepDemo = useModelsStore((s) => s.keepDemo);
  const capabilities = useEnvStore((s) => s.capabilities);
  const envError = useEnvStore((s) => s.error);
  useEffect(() => void useEnvStore.getState().check(), []);
  // the remembered frame count applies to the first video too
  useEffect(() => {
    useVideoStore.getState().setFrameCount(useConversationStore.getState().controls.frames);
  }, []);

  // a new video: the old question's selection no longer applies
  useEffect(() => useConversationStore.getState().resetForVideo(), [info]);

  // once a video is open (and whenever the models change), its frames are encoded while the
  // user types, so the first question does not wait for them
  const chosen = useModelsStore((s) => s.chosen);
  useEffect(() => {
    if (info && !sampling)
      usePrepareStore.getState().start(useModelsStore.getState().modelChoice());
    else if (!info) usePrepareStore.getState().cancel();
  }, [info, sampling, chosen]);

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
              values={controls}
              onChange={(patch) => {
                useConversationStore.getState().setControls(patch);
                if (patch.frames !== undefined) setFrameCount(patch.frames);
              }}
              learnedHead={learnedHead}
              sampledFrames={sampling ? null : frameCount}
              onResample={() => void resample()}
            />
          )}
          {info && selection && (
            <PlayedTimeline selection={selection} duration={info.duration} player={hasPlayer} />
          )}
          <VideoPanel selection={selection} />
        </div>
        {info && (
          <aside className="side" aria-label="Conversation">
            {demoNotice && <DemoNotice onSwitch={switchFromDemo} onKeep={keepDemo} />}
            <Conversation
              disabledReason={disabledReason}
              videoName={info.name}
              {...(hasPlayer ? { onSeek: seek, duration: info.duration } : {})}
            />
          </aside>
        )}
      </main>
    </div>
  );
}

/** The chat, subscribed to the turns and whether an answer is running. */
function Conversation({
  disabledReason,
  videoName,
  onSeek,
  duration,
}: {
  disabledReason: string | null;
  videoName: string;
  /** Plays the video from a time the answer mentions (when the player has the video). */
  onSeek?: (t: number) => void;
  duration?: number;
}) {
  const { turns, busy } = useConversationStore(
    useShallow((s) => ({ turns: s.turns, busy: s.busy })),
  );
  const samples = useSamplesStore((s) => s.samples);
  const sample = sampleNamed(samples, videoName);
  const onExport = useCallback((id: number) => {
    const text = useConversationStore.getState().exportTurn(id);
    if (text) download(`kvtp-run-${id}.json`, text);
  }, []);
  return (
    <Chat
      turns={turns}
      busy={busy}
      disabledReason={disabledReason}
      onAsk={(q) => void useConversationStore.getState().ask(q)}
      onStop={() => useConversationStore.getState().stop()}
      suggestions={sample ? sample.questions.map((q) => q.question) : []}
      onExport={onExport}
      {...(onSeek ? { onSeek, duration } : {})}
    />
  );
}

/** The time line, with the player's time marked (its own subscriber: it moves as the video plays). */
function PlayedTimeline({
  selection,
  duration,
  player,
}: {
  selection: Selection;
  duration: number;
  player: boolean;
}) {
  const seek = useVideoStore((s) => s.seek);
  const playhead = useVideoStore((s) => s.playhead);
  return (
    <Timeline
      selection={selection}
      duration={duration}
      {...(player ? { onSeek: seek, playhead } : {})}
    />
  );
}
