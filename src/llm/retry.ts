import { errorMessage } from '../contracts/errors.js';
import { LlmCancelledError, LlmError } from './errors.js';

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** First backoff; doubles per attempt, with jitter, up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited out: the call fails instead. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 4,
  baseDelayMs: 500,
  maxDelayMs: 8_000,
  maxRetryAfterMs: 60_000,
};

/** Statuses worth another try: rate limits, timeouts, overload (Anthropic's 529) and server errors. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 425 || status === 429 || status >= 500;
}

/**
 * Retry-After is either delta-seconds or an HTTP-date (RFC 9110 §10.2.3). Returns milliseconds to wait,
 * or undefined when absent or unreadable. Also reads OpenAI's `retry-after-ms`.
 */
export function parseRetryAfter(headers: Headers, now: number = Date.now()): number | undefined {
  const ms = headers.get('retry-after-ms');
  if (ms !== null && /^\d+(\.\d+)?$/.test(ms.trim())) return Math.ceil(Number(ms));
  const value = headers.get('retry-after');
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new LlmCancelledError());
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(new LlmCancelledError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function backoffDelay(
  attempt: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  // Full jitter on the upper half keeps clients that failed together from retrying together.
  return Math.round(exp / 2 + (random() * exp) / 2);
}

export interface RetryInfo {
  attempt: number;
  delayMs: number;
  error: LlmError;
}

/**
 * Runs `fn` until it succeeds, fails with a non-retryable error, or runs out of attempts. Waits the
 * server's Retry-After when given (never less), otherwise exponential backoff.
 */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
  opts: { signal?: AbortSignal; onRetry?: (info: RetryInfo) => void } = {},
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    if (opts.signal?.aborted) throw new LlmCancelledError();
    try {
      return await fn(attempt);
    } catch (err) {
      if (!(err instanceof LlmError) || !err.retryable) throw err;
      if (attempt >= policy.maxAttempts) {
        throw new LlmError(`${errorMessage(err)} (gave up after ${attempt} attempts)`, {
          status: err.status,
          cause: err,
          code: err.code,
        });
      }
      let delayMs = backoffDelay(attempt, policy);
      if (err.retryAfterMs !== undefined) {
        if (err.retryAfterMs > policy.maxRetryAfterMs) {
          throw new LlmError(
            `${errorMessage(err)} (server asked to wait ${err.retryAfterMs} ms, more than maxRetryAfterMs ${policy.maxRetryAfterMs})`,
            { status: err.status, cause: err, retryAfterMs: err.retryAfterMs },
          );
        }
        delayMs = err.retryAfterMs;
      }
      opts.onRetry?.({ attempt, delayMs, error: err });
      await sleep(delayMs, opts.signal);
    }
  }
}
