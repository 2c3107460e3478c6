/**
 * A one-call abort signal. The SDK adds an abort listener to a request's signal and never removes it,
 * so every call needs a signal of its own; Node's AbortController costs about 3.5 µs to make and
 * listen to, more than an in-process no-op tool call takes. This implements the members the SDK's
 * `Protocol.request` and `Admission` use (`aborted`, `reason`, `throwIfAborted`, add/removeEventListener
 * for 'abort'); the cancellation tests in `faults.test.ts` and `deadline.test.ts` hold both to it.
 */
export class CallAbort {
  aborted = false;
  reason: unknown;
  private listeners: Array<() => void> = [];

  /** The SDK and Admission type their option as AbortSignal; they only touch the members above. */
  get signal(): AbortSignal {
    return this as unknown as AbortSignal;
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listeners = this.listeners;
    this.listeners = [];
    for (const listener of listeners) listener();
  }

  throwIfAborted(): void {
    if (this.aborted) throw this.reason;
  }

  addEventListener(type: string, listener: () => void): void {
    if (type === 'abort' && !this.aborted) this.listeners.push(listener);
  }

  removeEventListener(type: string, listener: () => void): void {
    if (type === 'abort') this.listeners = this.listeners.filter((l) => l !== listener);
  }
}
