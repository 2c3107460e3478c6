import { Counter, Histogram, Registry } from 'prom-client';
import type { Role } from '../contracts/models.js';

/**
 * ok: valid output. tool_error: the engine answered isError or a JSON-RPC error. output_invalid: the
 * output failed the contract. timeout / transport_error: the attempt was lost and may be retried.
 * cancelled: the caller aborted.
 */
export type CallOutcome =
  | 'ok'
  | 'tool_error'
  | 'output_invalid'
  | 'timeout'
  | 'transport_error'
  | 'cancelled';

/** One attempt of one call on one instance; the orchestrator stores these as `engine_calls` rows. */
export interface EngineCallRecord {
  role: Role | 'auxiliary';
  tool: string;
  /** Config entry name (engine or auxiliary server). */
  server: string;
  /** `name#replica`. */
  instance: string;
  /** 1-based attempt within this call; attempts after the first ran on another or a restarted instance. */
  attempt: number;
  idempotencyKey: string | undefined;
  runId: string | undefined;
  stepKey: string | undefined;
  outcome: CallOutcome;
  startedAt: string;
  durationMs: number;
  requestBytes: number;
  responseBytes: number;
  error: string | undefined;
}

const DURATION_BUCKETS = [0.001, 0.005, 0.02, 0.1, 0.5, 1, 5, 30, 120, 600];

/** The call metrics, on prom-client's own metric types. */
export class CoordinatorMetrics {
  readonly registry = new Registry();
  readonly #duration: Histogram<'role' | 'tool' | 'instance' | 'outcome'>;
  readonly #calls: Counter<'role' | 'tool' | 'instance' | 'outcome'>;
  readonly #requestBytes: Counter<'role' | 'tool' | 'instance'>;
  readonly #responseBytes: Counter<'role' | 'tool' | 'instance'>;

  constructor() {
    const labelNames = ['role', 'tool', 'instance', 'outcome'] as const;
    this.#duration = new Histogram({
      name: 'powerauto_engine_call_duration_seconds',
      help: 'Latency of one engine tool call attempt, queueing included',
      labelNames,
      buckets: DURATION_BUCKETS,
      registers: [this.registry],
    });
    this.#calls = new Counter({
      name: 'powerauto_engine_calls_total',
      help: 'Engine tool call attempts by outcome',
      labelNames,
      registers: [this.registry],
    });
    this.#requestBytes = new Counter({
      name: 'powerauto_engine_call_request_bytes_total',
      help: 'JSON bytes of tool arguments sent',
      labelNames: ['role', 'tool', 'instance'],
      registers: [this.registry],
    });
    this.#responseBytes = new Counter({
      name: 'powerauto_engine_call_response_bytes_total',
      help: 'JSON bytes of tool results received',
      labelNames: ['role', 'tool', 'instance'],
      registers: [this.registry],
    });
  }

  record(
    role: EngineCallRecord['role'],
    tool: string,
    instance: string,
    outcome: CallOutcome,
    durationMs: number,
    requestBytes: number,
    responseBytes: number,
  ): void {
    this.#duration.observe({ role, tool, instance, outcome }, durationMs / 1000);
    this.#calls.inc({ role, tool, instance, outcome });
    this.#requestBytes.inc({ role, tool, instance }, requestBytes);
    if (responseBytes > 0) this.#responseBytes.inc({ role, tool, instance }, responseBytes);
  }
}
