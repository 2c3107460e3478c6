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

export class CoordinatorMetrics {
  readonly registry = new Registry();
  private readonly duration: Histogram<'role' | 'tool' | 'instance' | 'outcome'>;
  private readonly calls: Counter<'role' | 'tool' | 'instance' | 'outcome'>;
  private readonly requestBytes: Counter<'role' | 'tool' | 'instance'>;
  private readonly responseBytes: Counter<'role' | 'tool' | 'instance'>;

  constructor() {
    const labelNames = ['role', 'tool', 'instance', 'outcome'] as const;
    this.duration = new Histogram({
      name: 'powerauto_engine_call_duration_seconds',
      help: 'Latency of one engine tool call attempt, queueing included',
      labelNames,
      buckets: [0.001, 0.005, 0.02, 0.1, 0.5, 1, 5, 30, 120, 600],
      registers: [this.registry],
    });
    this.calls = new Counter({
      name: 'powerauto_engine_calls_total',
      help: 'Engine tool call attempts by outcome',
      labelNames,
      registers: [this.registry],
    });
    this.requestBytes = new Counter({
      name: 'powerauto_engine_call_request_bytes_total',
      help: 'JSON bytes of tool arguments sent',
      labelNames: ['role', 'tool', 'instance'],
      registers: [this.registry],
    });
    this.responseBytes = new Counter({
      name: 'powerauto_engine_call_response_bytes_total',
      help: 'JSON bytes of tool results received',
      labelNames: ['role', 'tool', 'instance'],
      registers: [this.registry],
    });
  }

  /** Label-bound children by `role|tool|instance|outcome`: label hashing is most of a prom-client update. */
  private readonly children = new Map<
    string,
    {
      duration: { observe(value: number): void };
      calls: { inc(): void };
      requestBytes: { inc(value: number): void };
      responseBytes: { inc(value: number): void };
    }
  >();

  record(
    role: EngineCallRecord['role'],
    tool: string,
    instance: string,
    outcome: CallOutcome,
    durationMs: number,
    requestBytes: number,
    responseBytes: number,
  ): void {
    const key = `${role}|${tool}|${instance}|${outcome}`;
    let child = this.children.get(key);
    if (child === undefined) {
      const labels = { role, tool, instance, outcome };
      const sizeLabels = { role, tool, instance };
      child = {
        duration: this.duration.labels(labels),
        calls: this.calls.labels(labels),
        requestBytes: this.requestBytes.labels(sizeLabels),
        responseBytes: this.responseBytes.labels(sizeLabels),
      };
      this.children.set(key, child);
    }
    child.duration.observe(durationMs / 1000);
    child.calls.inc();
    child.requestBytes.inc(requestBytes);
    if (responseBytes > 0) child.responseBytes.inc(responseBytes);
  }
}
