// HTTP as the Hub's clients use it from a web page: only CORS-safelisted requests (a GET, with at
// most a plain `Range: bytes=N-` or `bytes=N-M`; no custom header, which would need a preflight
// that the Hub's storage refuses), a few tries with backoff on a dropped connection or a 5xx, and
// `Retry-After` honoured on 429. 401/403 say a gated or private repo.

import { throwIfAborted } from '../core/errors.ts';
import { modelError } from './errors.ts';

export interface RetryOptions {
  readonly fetch?: typeof fetch;
  readonly signal?: AbortSignal;
  /** Tries in all (default 5). */
  readonly tries?: number;
  /** First backoff in ms, doubled per try (default 250). */
  readonly backoffMs?: number;
}

/** The longest wait a Retry-After may ask of us before we give up and say so. */
const MAX_RETRY_AFTER_MS = 60_000;

/** What to do after a failed try: wait this long, then try again. */
export function retryDelay(attempt: number, response: Response | null, backoffMs = 250): number {
  const after = response?.headers.get('Retry-After');
  if (after) {
    const seconds = Number(after);
    const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(after) - Date.now();
    if (Number.isFinite(ms)) return Math.max(0, ms);
  }
  return backoffMs * 2 ** attempt;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new DOMException('Cancelled', 'AbortError'));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new DOMException('Cancelled', 'AbortError'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Whether a status is worth another try (rate limit, server trouble). */
export function transient(status: number): boolean {
  return status === 429 || status === 408 || status >= 500;
}

/** The error for a 401/403 of the Hub about `what`. */
export function accessError(status: number, what: string, url: string) {
  return modelError(
    'access-denied',
    `${what} at ${url} answered ${status}: the repo is gated or private`,
  );
}

/**
 * GET `url` (with `headers`, safelisted ones only), tried again on a dropped connection, a 5xx or
 * a 429 (after its Retry-After). Returns the first response that is not transient, or the last
 * one; throws `network` when no try reached the server.
 */
export async function getWithRetry(
  url: string,
  what: string,
  headers: Record<string, string>,
  options: RetryOptions,
): Promise<Response> {
  const tries = options.tries ?? 5;
  const doFetch = options.fetch ?? fetch;
  for (let attempt = 0; ; attempt++) {
    throwIfAborted(options.signal);
    let response: Response | null = null;
    let failure: unknown = null;
    try {
      response = await doFetch(url, {
        headers,
        ...(options.signal && { signal: options.signal }),
      });
    } catch (e) {
      throwIfAborted(options.signal);
      failure = e;
    }
    if (response && !transient(response.status)) return response;
    const wait = retryDelay(attempt, response, options.backoffMs);
    if (attempt + 1 >= tries || wait > MAX_RETRY_AFTER_MS) {
      if (response?.status === 429) {
        const detail = `${what}: the Hub limits requests (429); try again later`;
        throw modelError('network', detail, { status: 429 });
      }
      if (response) return response;
      throw modelError('network', `${what} (${(failure as Error)?.message ?? failure})`, failure);
    }
    await response?.body?.cancel().catch(() => {});
    await sleep(wait, options.signal);
  }
}

/** Whether `e` is the error of a rate limit that outlasted our tries. */
export function isRateLimited(e: unknown): boolean {
  return ((e as { cause?: { status?: number } })?.cause?.status ?? 0) === 429;
}

/** Whether `e` says the server could not be reached at all (offline: the cache may serve). */
export function isUnreachable(e: unknown): boolean {
  return (e as { code?: string })?.code === 'network' && !isRateLimited(e);
}
