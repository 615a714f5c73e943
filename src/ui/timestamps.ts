// Times that an answer mentions ("at 1:12", "0:03.5", "1:02:05", "12 s", "4.5 seconds"), found
// in its text so the page can make each one a link that seeks the player. Pure: text in, pieces
// out; knows nothing of React or the player.

/** A piece of an answer: plain text, or a time it mentions with its value in seconds. */
export type AnswerPiece =
  { readonly text: string } | { readonly text: string; readonly seconds: number };

// h:mm:ss(.f) or m:ss(.f); or a number followed by s / sec / second(s).
const TIME =
  /\b(?:(\d{1,2}):)?(\d{1,2}):([0-5]\d(?:\.\d+)?)\b|\b(\d+(?:\.\d+)?)\s?(?:s|secs?|seconds?)\b/g;

/** Split `text` into plain pieces and the times it mentions (within `duration`, when given). */
export function answerPieces(text: string, duration = Infinity): AnswerPiece[] {
  const pieces: AnswerPiece[] = [];
  let at = 0;
  for (const m of text.matchAll(TIME)) {
    const seconds =
      m[4] !== undefined
        ? Number(m[4])
        : Number(m[1] ?? 0) * 3600 + Number(m[2]) * 60 + Number(m[3]);
    if (!(seconds <= duration)) continue;
    if (m.index > at) pieces.push({ text: text.slice(at, m.index) });
    pieces.push({ text: m[0], seconds });
    at = m.index + m[0].length;
  }
  if (at < text.length) pieces.push({ text: text.slice(at) });
  return pieces;
}
