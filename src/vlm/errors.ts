// Errors of the question pipeline (prompt, selection, answer): a code and a message for people,
// made here in one place.

import { CodedError } from '../core/errors.ts';

export type VlmErrorCode =
  | 'bad-output' // a model gave an output of the wrong name or size
  | 'broken-promise' // the selection kept another number of tokens than its allocation promises
  | 'no-gpu' // tokens are on the GPU but the step at hand has no GPU to work with
  | 'no-pixels'; // a compute path made without a pixel reader was asked to encode frames

export function vlmError(code: VlmErrorCode, message: string): CodedError {
  return new CodedError(code, message);
}
