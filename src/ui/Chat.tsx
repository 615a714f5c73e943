// The conversation: questions and streamed answers, a Stop button while an answer streams, each
// answer with its figures, a copy button and a JSON export of the run. A time an answer mentions
// ("at 1:12", "4.5 s") is a link that plays the video from there (`onSeek`). Each turn is
// memoized: while an answer streams, only the streaming turn re-renders.
import { memo, useState, type FormEvent, type KeyboardEvent } from 'react';
import type { AnswerFigures } from '../engine/types.ts';
import { formatCount, formatFlops, formatTime } from './format.ts';
import { answerPieces } from './timestamps.ts';

export interface TurnView {
  readonly id: number;
  readonly question: string;
  readonly answer: string;
  readonly status: 'waiting' | 'streaming' | 'done' | 'stopped' | 'error';
  /** What is happening before the first token (encoding frames, scoring, …). */
  readonly stage: string | null;
  readonly figures: AnswerFigures | null;
  readonly error: string | null;
  /** Said beside the answer: what changed under the question (the GPU device was lost). */
  readonly note?: string | null;
}

export function Chat({
  turns,
  busy,
  disabledReason,
  onAsk,
  onStop,
  onExport,
  suggestions = [],
  onSeek,
  duration,
}: {
  turns: readonly TurnView[];
  busy: boolean;
  /** Why asking is not possible right now (no video, model loading…), or null. */
  disabledReason: string | null;
  onAsk: (question: string) => void;
  onStop: () => void;
  onExport: (turnId: number) => void;
  /** Questions to offer (a sample video's): a click puts one in the question box. */
  suggestions?: readonly string[];
  /** Play the video from a time an answer mentions; without it, times are plain text. */
  onSeek?: (t: number) => void;
  /** The video's duration: times beyond it are not links. */
  duration?: number;
}) {
  const [draft, setDraft] = useState('');
  const canAsk = !busy && !disabledReason && draft.trim().length > 0;
  const submit = (e?: FormEvent) => {
    e?.preventDefault();
    if (!canAsk) return;
    onAsk(draft.trim());
    setDraft('');
  };
  const onKey = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && !e.shiftKey) submit(e);
  };
  return (
    <section className="chat">
      <section className="conversation" role="region" aria-label="Answer" aria-live="polite">
        {turns.length === 0 && <p className="hint">Answers appear here.</p>}
        {turns.map((t) => (
          <Turn key={t.id} turn={t} onExport={onExport} onSeek={onSeek} duration={duration} />
        ))}
      </section>
      {suggestions.length > 0 && (
        <div className="suggestions" role="group" aria-label="Suggested questions">
          {suggestions.map((q) => (
            <button
              key={q}
              type="button"
              className="chip"
              onClick={() => {
                setDraft(q);
                document.getElementById('question')?.focus();
              }}
            >
              {q}
            </button>
          ))}
        </div>
      )}
      <form className="ask" onSubmit={submit}>
        <label className="visually-hidden" htmlFor="question">
          Question
        </label>
        <textarea
          id="question"
          rows={2}
          placeholder={
            disabledReason ?? 'Ask about the video…  (Enter to ask, Shift+Enter for a new line)'
          }
          value={draft}
          onChange={(e) => setDraft(e.currentTarget.value)}
          onKeyDown={onKey}
        />
        {busy ? (
          <button type="button" className="button" onClick={onStop}>
            Stop
          </button>
        ) : (
          <button type="submit" className="button" disabled={!canAsk}>
            Ask
          </button>
        )}
      </form>
    </section>
  );
}

/** One question and its answer; re-renders only when its turn (or the export action) changes. */
const Turn = memo(function Turn({
  turn: t,
  onExport,
  onSeek,
  duration,
}: {
  turn: TurnView;
  onExport: (turnId: number) => void;
  onSeek: ((t: number) => void) | undefined;
  duration: number | undefined;
}) {
  return (
    <article key={t.id} className={`turn ${t.status}`} data-turn={t.id}>
      <p className="question">{t.question}</p>
      <div className="answer" data-testid="answer">
        {onSeek ? <AnswerText text={t.answer} duration={duration} onSeek={onSeek} /> : t.answer}
        {(t.status === 'streaming' || t.status === 'waiting') && (
          <span className="cursor" aria-hidden="true" />
        )}
      </div>
      {t.note && (
        <p className="notice turn-note" role="status">
          {t.note}
        </p>
      )}
      {t.stage && t.status === 'waiting' && <p className="hint stage">{t.stage}…</p>}
      {t.status === 'stopped' && <p className="hint">Stopped.</p>}
      {t.error && (
        <p className="turn-error" role="alert">
          {t.error}
        </p>
      )}
      {t.figures && <Figures figures={t.figures} />}
      {(t.status === 'done' || t.status === 'stopped') && (
        <div className="turn-actions">
          <button
            type="button"
            className="button subtle"
            onClick={() => void navigator.clipboard?.writeText(t.answer)}
          >
            Copy
          </button>
          <button type="button" className="button subtle" onClick={() => onExport(t.id)}>
            Export run (JSON)
          </button>
        </div>
      )}
    </article>
  );
});

function AnswerText({
  text,
  duration,
  onSeek,
}: {
  text: string;
  duration: number | undefined;
  onSeek: (t: number) => void;
}) {
  return (
    <>
      {answerPieces(text, duration).map((p, i) =>
        'seconds' in p ? (
          <button
            key={i}
            type="button"
            className="time-link"
            aria-label={`Play from ${formatTime(p.seconds, 2)}`}
            onClick={() => onSeek(p.seconds)}
          >
            {p.text}
          </button>
        ) : (
          p.text
        ),
      )}
    </>
  );
}

function Figures({ figures: f }: { figures: AnswerFigures }) {
  const share = f.visualTotal > 0 ? f.visualKept / f.visualTotal : 1;
  const flops = f.prefillFlopsUnpruned > 0 ? f.prefillFlops / f.prefillFlopsUnpruned : 1;
  return (
    <dl className="figures">
      <div>
        <dt>Vision tokens</dt>
        <dd>
          {formatCount(f.visualKept)} / {formatCount(f.visualTotal)} ({(share * 100).toFixed(0)}%)
        </dd>
      </div>
      <div>
        <dt>Prefill tokens</dt>
        <dd>
          {formatCount(f.promptTokens)} (of {formatCount(f.promptTokensUnpruned)})
        </dd>
      </div>
      <div>
        <dt>Prefill FLOPs</dt>
        <dd>
          {formatFlops(f.prefillFlops)} ({(flops * 100).toFixed(0)}% of unpruned)
        </dd>
      </div>
      <div>
        <dt>First token</dt>
        <dd>{(f.timings.firstTokenMs / 1000).toFixed(2)} s</dd>
      </div>
      <div>
        <dt>Speed</dt>
        <dd title="generated tokens per second of decoding">
          {f.generatedTokens > 1 ? `${f.timings.tokensPerSecond.toFixed(1)} tokens/s` : '—'} (
          {f.generatedTokens} {f.generatedTokens === 1 ? 'token' : 'tokens'})
        </dd>
      </div>
    </dl>
  );
}
