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

  record(rec: EngineCallRecord): void {
    const labels = { role: rec.role, tool: rec.tool, instance: rec.instance, outcome: rec.outcome };
    this.duration.observe(labels, rec.durationMs / 1000);
    this.calls.inc(labels);
    const sizeLabels = { role: rec.role, tool: rec.tool, instance: rec.instance };
    this.requestBytes.inc(sizeLabels, rec.requestBytes);
    if (rec.responseBytes > 0) this.responseBytes.inc(sizeLabels, rec.responseBytes);
  }
}
