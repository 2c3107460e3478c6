export type BreakerState = 'closed' | 'open' | 'half_open';

export interface BreakerOptions {
  failureThreshold: number;
  cooldownMs: number;
  now?: () => number;
  onChange?: (from: BreakerState, to: BreakerState) => void;
}

/** What `acquire` hands out: a probe decides the half-open state, a normal pass does not. */
export type BreakerTicket = 'normal' | 'probe';

/**
 * One instance's circuit breaker: closed -> open after N consecutive failures -> half-open after the
 * cooldown, letting exactly one probe through -> closed on its success, open again on its failure.
 */
export class CircuitBreaker {
  private current: BreakerState = 'closed';
  private consecutiveFailures = 0;
  private openedAt = 0;
  private probeOut = false;
  private readonly now: () => number;

  constructor(private readonly options: BreakerOptions) {
    this.now = options.now ?? Date.now;
  }

  get state(): BreakerState {
    return this.current;
  }

  get failures(): number {
    return this.consecutiveFailures;
  }

  /** Whether `acquire` would succeed now; no side effects. */
  available(): boolean {
    if (this.current === 'closed') return true;
    if (this.current === 'open') return this.now() - this.openedAt >= this.options.cooldownMs;
    return !this.probeOut;
  }

  /** Milliseconds until an open breaker may be probed (0 when available). */
  msUntilAvailable(): number {
    if (this.current !== 'open') return 0;
    return Math.max(0, this.openedAt + this.options.cooldownMs - this.now());
  }

  acquire(): BreakerTicket | undefined {
    if (this.current === 'closed') return 'normal';
    if (!this.available()) return undefined;
    if (this.current === 'open') this.move('half_open');
    this.probeOut = true;
    return 'probe';
  }

  success(ticket: BreakerTicket): void {
    if (ticket === 'probe') {
      this.probeOut = false;
      this.consecutiveFailures = 0;
      this.move('closed');
    } else if (this.current === 'closed') {
      this.consecutiveFailures = 0;
    }
  }

  failure(ticket: BreakerTicket): void {
    if (ticket === 'probe') {
      this.probeOut = false;
      this.trip();
      return;
    }
    if (this.current !== 'closed') return;
    this.consecutiveFailures++;
    if (this.consecutiveFailures >= this.options.failureThreshold) this.trip();
  }

  /** A probe that neither succeeded nor failed (cancelled by the caller) frees the half-open slot. */
  release(ticket: BreakerTicket): void {
    if (ticket === 'probe') this.probeOut = false;
  }

  /** Force open, e.g. when the instance's process died. */
  trip(): void {
    this.openedAt = this.now();
    this.move('open');
  }

  private move(to: BreakerState): void {
    const from = this.current;
    if (from === to) return;
    this.current = to;
    this.options.onChange?.(from, to);
  }
}
