import { type ErrorCode, PowerAutoError } from '../contracts/errors.js';
import type { Usage } from './types.js';

/** A model call failed: transport, HTTP status, or an answer we could not read. */
export class LlmError extends PowerAutoError {
  /** HTTP status when the failure was an HTTP answer. */
  readonly status: number | undefined;
  /** Whether trying again may succeed (429, 5xx, network). */
  readonly retryable: boolean;
  /** What the server asked us to wait (Retry-After), in milliseconds. */
  readonly retryAfterMs: number | undefined;
  /**
   * Tokens the provider reported before the call failed (e.g. a refusal): they are billed, so
   * `LlmClient` records them like those of a call that succeeded.
   */
  readonly usage: Usage | undefined;
  constructor(
    message: string,
    opts: {
      status?: number;
      retryable?: boolean;
      retryAfterMs?: number;
      cause?: unknown;
      code?: ErrorCode;
      usage?: Usage;
    } = {},
  ) {
    super(opts.code ?? 'LLM_FAILED', message, { cause: opts.cause });
    this.status = opts.status;
    this.retryable = opts.retryable ?? false;
    this.retryAfterMs = opts.retryAfterMs;
    this.usage = opts.usage;
  }
}

/** The caller's AbortSignal fired. Never retried. */
export class LlmCancelledError extends PowerAutoError {
  constructor(message = 'LLM call cancelled') {
    super('CANCELLED', message);
  }
}

/** A request took longer than the configured per-attempt timeout. */
export class LlmTimeoutError extends LlmError {
  constructor(ms: number) {
    super(`LLM call timed out after ${ms} ms`, { retryable: true, code: 'TIMEOUT' });
  }
}

/** Structured output that still failed its schema after every repair attempt. Invalid output is never returned. */
export class LlmOutputInvalidError extends PowerAutoError {
  /** One entry per attempt: the raw output and why it was rejected. */
  readonly attempts: readonly { output: string; issues: string }[];
  constructor(attempts: readonly { output: string; issues: string }[]) {
    const last = attempts.at(-1);
    super(
      'LLM_OUTPUT_INVALID',
      `model output failed validation after ${attempts.length} attempt(s): ${last?.issues ?? 'no output'}`,
      { details: { attempts } },
    );
    this.attempts = attempts;
  }
}

/** A replay cassette has no recording for this request and recording is not allowed. */
export class LlmCassetteMissError extends PowerAutoError {
  readonly key: string;
  readonly cassette: string;
  constructor(key: string, cassette: string, why: string) {
    super('LLM_CASSETTE_MISS', `no recording for key ${key} in cassette ${cassette} (${why})`, {
      details: { key, cassette },
    });
    this.key = key;
    this.cassette = cassette;
  }
}

/** A token or cost budget would be, or has been, exceeded. */
export class BudgetExceededError extends PowerAutoError {
  constructor(message: string, details?: unknown) {
    super('BUDGET_EXCEEDED', message, { details });
  }
}
