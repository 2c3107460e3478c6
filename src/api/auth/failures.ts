import { Lru } from './lru.js';

/**
 * Failed authentications per client IP in a fixed window. The general rate limit runs after
 * authentication (it is keyed per user), so a request with a bad token never reached it; this one
 * counts before the token is even looked at.
 */
export class AuthFailureLimiter {
  readonly max: number;
  readonly windowMs: number;
  // Bounded too: a spread of source addresses must not grow it without limit.
  readonly #windows = new Lru<string, { count: number; resetAt: number }>(50_000);

  constructor(options: { max: number; timeWindowMs: number }) {
    this.max = options.max;
    this.windowMs = options.timeWindowMs;
  }

  /** Seconds until this IP may try again, or 0 when it may try now. */
  retryAfter(ip: string, at = Date.now()): number {
    const entry = this.#windows.get(ip);
    if (entry === undefined || entry.resetAt <= at || entry.count < this.max) return 0;
    return Math.max(1, Math.ceil((entry.resetAt - at) / 1000));
  }

  fail(ip: string, at = Date.now()): void {
    const entry = this.#windows.get(ip);
    if (entry === undefined || entry.resetAt <= at)
      this.#windows.set(ip, { count: 1, resetAt: at + this.windowMs });
    else entry.count += 1;
  }
}
