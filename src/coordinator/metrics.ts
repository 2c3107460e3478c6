import { Counter, Histogram, type HistogramConfiguration, Registry } from 'prom-client';
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

type CallLabel = 'role' | 'tool' | 'instance' | 'outcome';
type SizeLabel = 'role' | 'tool' | 'instance';

const DURATION_BUCKETS = [0.001, 0.005, 0.02, 0.1, 0.5, 1, 5, 30, 120, 600] as const;

/** Totals of one `role, tool, instance` label set (the size counters). */
interface SizeSeries {
  readonly labels: Record<SizeLabel, string>;
  requestBytes: number;
  responseBytes: number;
}

/** Totals of one `role, tool, instance, outcome` label set (the duration histogram and call counter). */
interface CallSeries {
  readonly labels: Record<CallLabel, string>;
  readonly size: SizeSeries;
  count: number;
  sum: number;
  /** Observations per bucket of DURATION_BUCKETS (not cumulative), as prom-client keeps them. */
  readonly buckets: number[];
}

/**
 * The call metrics. prom-client hashes and validates the label set on every observation, even through
 * a child from `labels()`: about 1.8 µs for the four updates of one call, a tenth of an in-process
 * call. So each call adds to plain per-label-set totals here, and the prom-client metrics read those
 * totals when scraped: the counters through their `collect` hook, the histogram by exporting them in
 * prom-client's own value format. Scraping costs one step per label set, not per call; the exposition
 * is the same as observing each call on prom-client directly (see metrics.test.ts).
 */
export class CoordinatorMetrics {
  readonly registry = new Registry();
  /** Label sets in first-seen order: prom-client lists series in that order. */
  private readonly calls: CallSeries[] = [];
  private readonly sizes: SizeSeries[] = [];
  /**
   * Series by role, instance, tool and outcome. Nested maps of the label strings as they come: one
   * key made by joining them costs a new string and its hash on every call, several times this.
   */
  private readonly lookup = new Map<
    string,
    Map<string, Map<string, { size: SizeSeries } & Partial<Record<CallOutcome, CallSeries>>>>
  >();
  /** Size series with response bytes, in the order their first bytes came (prom-client's order). */
  private readonly responding: SizeSeries[] = [];

  constructor() {
    const calls = this.calls;
    const sizes = this.sizes;
    const responding = this.responding;
    const labelNames = ['role', 'tool', 'instance', 'outcome'] as const;
    new SeriesHistogram(() => calls, {
      name: 'powerauto_engine_call_duration_seconds',
      help: 'Latency of one engine tool call attempt, queueing included',
      labelNames,
      buckets: [...DURATION_BUCKETS],
      registers: [this.registry],
    });
    new Counter({
      name: 'powerauto_engine_calls_total',
      help: 'Engine tool call attempts by outcome',
      labelNames,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const s of calls) this.inc(s.labels, s.count);
      },
    });
    new Counter({
      name: 'powerauto_engine_call_request_bytes_total',
      help: 'JSON bytes of tool arguments sent',
      labelNames: ['role', 'tool', 'instance'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const s of sizes) this.inc(s.labels, s.requestBytes);
      },
    });
    new Counter({
      name: 'powerauto_engine_call_response_bytes_total',
      help: 'JSON bytes of tool results received',
      labelNames: ['role', 'tool', 'instance'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const s of responding) this.inc(s.labels, s.responseBytes);
      },
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
    const series =
      this.lookup.get(role)?.get(instance)?.get(tool)?.[outcome] ??
      this.addSeries(role, tool, instance, outcome);
    const seconds = durationMs / 1000;
    series.count++;
    series.sum += seconds;
    for (let i = 0; i < DURATION_BUCKETS.length; i++) {
      if (seconds <= DURATION_BUCKETS[i]!) {
        series.buckets[i]!++;
        break;
      }
    }
    const size = series.size;
    size.requestBytes += requestBytes;
    if (responseBytes > 0) {
      if (size.responseBytes === 0) this.responding.push(size);
      size.responseBytes += responseBytes;
    }
  }

  private addSeries(role: string, tool: string, instance: string, outcome: CallOutcome): CallSeries {
    let byInstance = this.lookup.get(role);
    if (byInstance === undefined) {
      byInstance = new Map();
      this.lookup.set(role, byInstance);
    }
    let byTool = byInstance.get(instance);
    if (byTool === undefined) {
      byTool = new Map();
      byInstance.set(instance, byTool);
    }
    let byOutcome = byTool.get(tool);
    if (byOutcome === undefined) {
      const size: SizeSeries = { labels: { role, tool, instance }, requestBytes: 0, responseBytes: 0 };
      this.sizes.push(size);
      byOutcome = { size };
      byTool.set(tool, byOutcome);
    }
    const series: CallSeries = {
      labels: { role, tool, instance, outcome },
      size: byOutcome.size,
      count: 0,
      sum: 0,
      buckets: DURATION_BUCKETS.map(() => 0),
    };
    byOutcome[outcome] = series;
    this.calls.push(series);
    return series;
  }
}

/** One exported sample, in the shape prom-client's Histogram hands its registry. */
interface HistogramSample {
  labels: Record<string, string | number>;
  sharedLabels: Record<string, string>;
  value: number;
  metricName: string;
  exemplar: null | undefined;
}

/**
 * A prom-client Histogram whose observations live in CoordinatorMetrics' series. It overrides the
 * method prom-client's Histogram builds its samples in (`getForPromString`; its `get()` for JSON and
 * merged registries calls it too) and builds them in the same shape, so a registry formats it exactly
 * like a Histogram fed observation by observation.
 */
class SeriesHistogram extends Histogram<CallLabel> {
  private readonly metricName: string;
  private readonly metricHelp: string;

  constructor(
    private readonly series: () => Iterable<CallSeries>,
    config: HistogramConfiguration<CallLabel>,
  ) {
    super(config);
    this.metricName = config.name;
    this.metricHelp = config.help;
  }

  async getForPromString(): Promise<{
    name: string;
    help: string;
    type: 'histogram';
    values: HistogramSample[];
    aggregator: 'sum';
  }> {
    const bucketName = `${this.metricName}_bucket`;
    const values: HistogramSample[] = [];
    for (const s of this.series()) {
      const shared = s.labels;
      let cumulative = 0;
      for (let i = 0; i < DURATION_BUCKETS.length; i++) {
        cumulative += s.buckets[i]!;
        const le = DURATION_BUCKETS[i]!;
        values.push({
          labels: { le },
          sharedLabels: shared,
          value: cumulative,
          metricName: bucketName,
          exemplar: null,
        });
      }
      values.push(
        {
          labels: { le: '+Inf' },
          sharedLabels: shared,
          value: s.count,
          metricName: bucketName,
          exemplar: null,
        },
        {
          labels: {},
          sharedLabels: shared,
          value: s.sum,
          metricName: `${this.metricName}_sum`,
          exemplar: undefined,
        },
        {
          labels: {},
          sharedLabels: shared,
          value: s.count,
          metricName: `${this.metricName}_count`,
          exemplar: undefined,
        },
      );
    }
    return { name: this.metricName, help: this.metricHelp, type: 'histogram', values, aggregator: 'sum' };
  }
}
