// Errors that cross the worker boundary: plain values with a `code` and a `message` written for
// people. Any thrown thing becomes one here, in one place.

export interface ErrorInfo {
  readonly code: string;
  readonly message: string;
}

/** An Error carrying a machine-readable code; modules make these with their own factories. */
export class CodedError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CodedError';
  }
}

export const CANCELLED: ErrorInfo = { code: 'cancelled', message: 'Cancelled.' };

/** Whether `e` is an abort (our own cancellation or a DOMException AbortError). */
export function isAbort(e: unknown): boolean {
  return (
    (typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'AbortError') ||
    (e as { code?: unknown })?.code === 'cancelled'
  );
}

/** Any thrown value as an ErrorInfo. Unknown errors keep their text under code `internal`. */
export function toErrorInfo(e: unknown): ErrorInfo {
  if (isAbort(e)) return CANCELLED;
  if (typeof e === 'object' && e !== null) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && typeof message === 'string') return { code, message };
    if (typeof message === 'string') {
      return { code: 'internal', message: `Something went wrong inside kvtp-web: ${message}` };
    }
  }
  return { code: 'internal', message: `Something went wrong inside kvtp-web: ${String(e)}` };
}

/** Throw an AbortError if `signal` is aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new DOMException('Cancelled', 'AbortError');
}
