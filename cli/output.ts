// How the command line answers: one JSON object on stdout whenever stdout is not a terminal (a
// pipe, a file, a test) or --json is given; readable text when a person runs it at a terminal
// without --json. Errors: {"error":{"code","message"}} on stdout (on a terminal without --json, a
// `kvtp: message [code]` line on stderr), with exit code 1, or 2 for usage errors. Progress lines
// go to stderr only when it is a terminal, and are cleared before the answer.

import type { ErrorValue } from './browser.ts';

export interface Output {
  readonly json: boolean;
  result(value: unknown, human?: () => string): number;
  error(error: ErrorValue, exitCode?: number): number;
  progress(line: string): void;
}

export function output(wantJson: boolean): Output {
  const json = wantJson || !process.stdout.isTTY;
  const interactive = Boolean(process.stderr.isTTY);
  let progressShown = false;
  const clearProgress = () => {
    if (progressShown) process.stderr.write('\r\x1b[K');
    progressShown = false;
  };
  return {
    json,
    result(value, human) {
      clearProgress();
      process.stdout.write(json || !human ? JSON.stringify(value) + '\n' : human() + '\n');
      return 0;
    },
    error(error, exitCode = 1) {
      clearProgress();
      if (json) process.stdout.write(JSON.stringify({ error }) + '\n');
      else process.stderr.write(`kvtp: ${error.message} [${error.code}]\n`);
      return exitCode;
    },
    progress(line) {
      if (!interactive) return;
      process.stderr.write(`\r\x1b[K${line}`);
      progressShown = true;
    },
  };
}

/** Any thrown value as an error value. */
export function errorValue(e: unknown): ErrorValue {
  if (typeof e === 'object' && e !== null) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && typeof message === 'string') return { code, message };
    if (typeof message === 'string') return { code: 'internal', message };
  }
  return { code: 'internal', message: String(e) };
}
