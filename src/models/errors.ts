// Model loading errors: a code and a message that says what happened and what to do. Made here.

import { CodedError } from '../core/errors.ts';

export type ModelErrorCode =
  | 'missing-file' // the package has no such file (HTTP 404, or not in the chosen folder)
  | 'corrupt-file' // the file's size (or content) is not what the package says
  | 'network' // the download failed: offline, refused, interrupted, or rate-limited too long
  | 'access-denied' // the Hub answered 401/403: a gated or private repo (kvtp-web sends no login)
  | 'too-large' // the model does not fit this device's limits
  | 'storage-full' // the browser refused to store more (quota)
  | 'bad-model' // ONNX Runtime could not load the file
  | 'unknown-model'; // no package by that name, or a folder or repo kvtp-web cannot map

export function modelError(code: ModelErrorCode, detail: string, cause?: unknown): CodedError {
  const what: Record<ModelErrorCode, string> = {
    'missing-file': 'A model file is missing',
    'corrupt-file': 'A model file is damaged',
    network: 'A model download failed',
    'access-denied': 'The Hub refused to give out this model',
    'too-large': 'This model is too large for this GPU',
    'storage-full': 'There is no room left to store the model in this browser',
    'bad-model': 'The model could not be loaded',
    'unknown-model': 'kvtp-web does not know this model',
  };
  const advice: Record<ModelErrorCode, string> = {
    'missing-file': 'Check the model name, revision or folder.',
    'corrupt-file': 'It will be downloaded again on the next try.',
    network: 'Check the connection and try again; the download resumes where it stopped.',
    'access-denied':
      'The repo is gated or private and kvtp-web sends no Hugging Face login: choose a public model, or download the files yourself and pick the folder.',
    'too-large': 'Choose a smaller model or a quantized variant.',
    'storage-full': 'Clear cached models you no longer need, or free disk space.',
    'bad-model': 'The file may be damaged or of an unsupported variant.',
    'unknown-model':
      'Choose a package from the list, or a SmolVLM/SmolVLM2 or SigLIP package (folder or Hub repo) with its config.json.',
  };
  return new CodedError(code, `${what[code]}: ${detail}. ${advice[code]}`, { cause });
}
