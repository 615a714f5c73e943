// What the page and the command line say when the demo language model meets a video it was not
// made for: the demo (public/models/demo-vlm, README "The demo") was trained here on synthetic
// videos of coloured shapes only, so about anything else its one-word answers mean nothing. Said
// before the first answer, with a switch to a real model and what that costs to download.
// Pure: no store, no DOM, no Node (the page's store and cli/commands/ask.ts both use it).

import type { ModelRef } from './resolve.ts';
import { DEMO_VLM, SMOLVLM2_256M } from './registry.ts';

/** The real model the notice offers, and its download (the q4 decoder alone is 87 MB: MODELS.md). */
export const REAL_VLM = {
  id: SMOLVLM2_256M.id,
  title: SMOLVLM2_256M.title,
  download: 'over 87 MB',
} as const;

export const DEMO_NOTICE_CODE = 'demo-model';

/** The notice's text. */
export function demoNoticeMessage(): string {
  return (
    'The demo language model only knows the synthetic videos it was trained on: brief coloured ' +
    'shapes (circles, squares, triangles, stars, …) among moving grey distractors. It has not ' +
    'seen videos like this one, so its answers about it mean nothing. For your own videos use ' +
    `${REAL_VLM.title} (a download of ${REAL_VLM.download}, kept for next time).`
  );
}

/** Whether `ref` is the demo language model. */
export function isDemoVlm(ref: ModelRef | string): boolean {
  const id = typeof ref === 'string' ? ref : ref.kind === 'registry' ? ref.id : null;
  return id === DEMO_VLM.id;
}

/** A sample video as samples.json lists it (public/samples). */
export interface SampleRef {
  readonly file: string;
  readonly duration: number;
}

/** Whether a video (its file name and duration) is one of the demo's samples. */
export function isSampleVideo(
  name: string | undefined,
  duration: number | undefined,
  samples: readonly SampleRef[],
): boolean {
  return samples.some(
    (s) => s.file === name && (duration === undefined || Math.abs(s.duration - duration) < 0.5),
  );
}

/** Whether the notice applies: the demo model, a video that is not a sample. */
export function needsDemoNotice(
  vlm: ModelRef | string,
  video: { readonly name: string; readonly duration: number } | null,
  samples: readonly SampleRef[],
): boolean {
  return video !== null && isDemoVlm(vlm) && !isSampleVideo(video.name, video.duration, samples);
}
