import { EventEmitter } from 'node:events';
import type { RunEvent } from '../contracts/events.js';

export type EventListener = (event: RunEvent) => void;

const ALL = '*';

/**
 * In-process fan-out of committed events. The orchestrator publishes only after its transaction
 * commits; a subscriber that needs history reads it from the store first (see Orchestrator.watch).
 */
export class EventBus {
  readonly #emitter = new EventEmitter();

  constructor() {
    // WebSocket clients subscribe per run; hundreds of listeners on one run are normal.
    this.#emitter.setMaxListeners(0);
  }

  publish(events: readonly RunEvent[]): void {
    for (const event of events) {
      this.#emitter.emit(event.runId, event);
      this.#emitter.emit(ALL, event);
    }
  }

  /** Listens to one run, or to every run when `runId` is null. Returns the unsubscribe function. */
  subscribe(runId: string | null, listener: EventListener): () => void {
    const channel = runId ?? ALL;
    this.#emitter.on(channel, listener);
    return () => this.#emitter.off(channel, listener);
  }
}
