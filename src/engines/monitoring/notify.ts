import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { Webhook } from '../shared/monitoring-settings.js';

export const NotificationRecord = z.object({
  at: z.string(),
  url: z.string(),
  event: z.string(),
  attempts: z.number().int(),
  delivered: z.boolean(),
  lastError: z.string().nullable(),
  durationMs: z.number(),
});
export type NotificationRecord = z.infer<typeof NotificationRecord>;

/**
 * Webhook delivery: each notification is sent in the background with bounded retries (exponential
 * backoff, per-attempt timeout), so a slow or failing receiver never holds up the watcher.
 */
export class Notifier {
  readonly #webhooks: Webhook[];
  readonly #onRecord: (record: NotificationRecord) => void;
  readonly #pending = new Set<Promise<void>>();
  readonly #abort = new AbortController();

  constructor(webhooks: Webhook[], onRecord: (record: NotificationRecord) => void) {
    this.#webhooks = webhooks;
    this.#onRecord = onRecord;
  }

  get pending(): number {
    return this.#pending.size;
  }

  send(event: string, payload: Record<string, unknown>): void {
    for (const hook of this.#webhooks) {
      const delivery = this.#deliver(hook, event, payload).catch(() => undefined);
      this.#pending.add(delivery);
      void delivery.finally(() => this.#pending.delete(delivery));
    }
  }

  async #deliver(hook: Webhook, event: string, payload: Record<string, unknown>): Promise<void> {
    const began = Date.now();
    const body = JSON.stringify({ event, ...payload });
    let lastError: string | null = null;
    let attempts = 0;
    for (let attempt = 0; attempt <= hook.retries && !this.#abort.signal.aborted; attempt++) {
      attempts += 1;
      // Held here until the attempt settles: AbortSignal.any() keeps its sources only weakly, as does
      // the timer of a timeout signal, so garbage collection could drop it before it fires, and a
      // receiver that never answers would then hold this delivery forever (seen on Node 20).
      const timeout = AbortSignal.timeout(hook.timeoutMs);
      try {
        const res = await fetch(hook.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': 'powerauto-monitoring' },
          body,
          signal: AbortSignal.any([timeout, this.#abort.signal]),
        });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) {
          this.#onRecord({
            at: new Date().toISOString(),
            url: hook.url,
            event,
            attempts,
            delivered: true,
            lastError: null,
            durationMs: Date.now() - began,
          });
          return;
        }
        lastError = `answered ${res.status}`;
      } catch (err) {
        lastError = timeout.aborted ? `no answer within ${hook.timeoutMs} ms` : (err as Error).message;
      }
      if (attempt < hook.retries) {
        await sleep(hook.backoffMs * 2 ** attempt, undefined, { signal: this.#abort.signal }).catch(
          () => undefined,
        );
      }
    }
    this.#onRecord({
      at: new Date().toISOString(),
      url: hook.url,
      event,
      attempts,
      delivered: false,
      lastError,
      durationMs: Date.now() - began,
    });
  }

  /** Waits up to `ms` for deliveries in flight, then abandons the rest. */
  async close(ms: number): Promise<void> {
    await Promise.race([Promise.allSettled([...this.#pending]), sleep(ms)]);
    this.#abort.abort();
  }
}
