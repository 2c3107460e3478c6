import type { z } from 'zod';
import { costOf, type PriceTable, priceFor, type UsageKeys, type UsageMeter } from './accounting.js';
import { LlmError } from './errors.js';
import { DEFAULT_RETRY_POLICY, type RetryInfo, type RetryPolicy, withRetry } from './retry.js';
import { generateStructured, type StructuredRequest, type StructuredResult } from './structured.js';
import type {
  CallOptions,
  CompletionRequest,
  CompletionResult,
  LlmProvider,
  StreamEvent,
  Usage,
} from './types.js';

export interface LlmClientOptions {
  prices?: PriceTable;
  retry?: RetryPolicy;
  /** Every call is recorded here (with the caller's `account` keys) and budgets are checked before calls. */
  meter?: UsageMeter;
  /** Repair attempts for structured output. Default 2. */
  repairAttempts?: number;
  onRetry?: (info: RetryInfo) => void;
}

export interface ClientCallOptions extends CallOptions {
  /** Who the call is charged to in the meter. */
  account?: UsageKeys;
}

export interface CallResult extends CompletionResult {
  /** Provider name (as configured). */
  provider: string;
  /** USD from the price table; null when the model has no price. */
  costUsd: number | null;
}

export type ClientStreamEvent = Exclude<StreamEvent, { type: 'done' }> | { type: 'done'; result: CallResult };

/**
 * What engines use: one provider plus retries (with Retry-After), pricing, usage metering, budget checks
 * and validated structured output. Create it with `createLlmClient` from config.
 */
export class LlmClient {
  readonly prices: PriceTable;
  readonly retry: RetryPolicy;
  readonly meter: UsageMeter | undefined;
  readonly repairAttempts: number;

  constructor(
    readonly provider: LlmProvider,
    private readonly opts: LlmClientOptions = {},
  ) {
    this.prices = opts.prices ?? {};
    this.retry = opts.retry ?? DEFAULT_RETRY_POLICY;
    this.meter = opts.meter;
    this.repairAttempts = opts.repairAttempts ?? 2;
  }

  get model(): string {
    return this.provider.model;
  }

  private beforeCall(opts: ClientCallOptions): void {
    if (this.meter && opts.account) this.meter.assertWithin(opts.account);
  }

  /** Prices `usage` and records it in the meter; returns the cost (null when unpriced). */
  private charge(usage: Usage, opts: ClientCallOptions): number | null {
    const costUsd = costOf(usage, priceFor(this.prices, this.provider, this.model));
    this.meter?.record({
      keys: opts.account ?? {},
      provider: this.provider.name,
      model: this.model,
      usage,
      costUsd,
    });
    return costUsd;
  }

  private account(result: CompletionResult, opts: ClientCallOptions): CallResult {
    return { ...result, provider: this.provider.name, costUsd: this.charge(result.usage, opts) };
  }

  async complete(req: CompletionRequest, opts: ClientCallOptions = {}): Promise<CallResult> {
    this.beforeCall(opts);
    const signal = opts.signal;
    const attempt = async () => {
      try {
        return await this.provider.complete(req, signal ? { signal } : {});
      } catch (err) {
        // The provider answered (and billed) before failing: every such attempt counts, retried or not.
        if (err instanceof LlmError && err.usage !== undefined) this.charge(err.usage, opts);
        throw err;
      }
    };
    const result = await withRetry(attempt, this.retry, {
      ...(signal ? { signal } : {}),
      ...(this.opts.onRetry ? { onRetry: this.opts.onRetry } : {}),
    });
    return this.account(result, opts);
  }

  /**
   * Streams one call. Failures before the first event are retried like `complete`; once text has been
   * delivered a failure is thrown, since replaying it would duplicate what the caller already showed.
   */
  async *stream(req: CompletionRequest, opts: ClientCallOptions = {}): AsyncGenerator<ClientStreamEvent> {
    this.beforeCall(opts);
    const signal = opts.signal;
    const { it, first } = await withRetry(
      async () => {
        const it = this.provider.stream(req, signal ? { signal } : {})[Symbol.asyncIterator]();
        const first = await it.next();
        return { it, first };
      },
      this.retry,
      { ...(signal ? { signal } : {}), ...(this.opts.onRetry ? { onRetry: this.opts.onRetry } : {}) },
    );
    let next = first;
    try {
      while (!next.done) {
        const ev = next.value;
        if (ev.type === 'done') yield { type: 'done', result: this.account(ev.result, opts) };
        else yield ev;
        next = await it.next();
      }
    } finally {
      if (!next.done) await it.return?.(undefined);
    }
  }

  /** Structured output validated by `schema`, with repair attempts; see `generateStructured`. */
  structured<S extends z.ZodType>(
    schema: S,
    req: StructuredRequest,
    opts: ClientCallOptions = {},
  ): Promise<StructuredResult<z.output<S>>> {
    return generateStructured(this, schema, req, opts);
  }
}
