import type { RouteStats } from '../../contracts/monitoring.js';
import { histogramQuantile, type Scrape } from './prometheus.js';

// Metric names of the generated service (and of most prom-client setups).
export const REQUESTS_METRIC = 'http_requests_total';
export const ERRORS_METRIC = 'http_request_errors_total';
export const DURATION_METRIC = 'http_request_duration_seconds';
/** The scrape itself is not traffic. */
const IGNORED_ROUTES = new Set(['/metrics']);

export interface RouteCounters {
  method: string;
  route: string;
  requests: number;
  errors: number;
  /** Cumulative histogram buckets in seconds (le ascending, last +Infinity). */
  buckets: { le: number; count: number }[];
}

export type Snapshot = Map<string, RouteCounters>;

const keyOf = (method: string, route: string) => `${method} ${route}`;

/** Per-route counters from one scrape: requests and 5xx from the request counter, latency from the histogram. */
export function snapshotFrom(scrape: Scrape): Snapshot {
  const out: Snapshot = new Map();
  const get = (method: string, route: string): RouteCounters | undefined => {
    if (IGNORED_ROUTES.has(route)) return undefined;
    const key = keyOf(method, route);
    let c = out.get(key);
    if (c === undefined) {
      c = { method, route, requests: 0, errors: 0, buckets: [] };
      out.set(key, c);
    }
    return c;
  };
  let statusLabelled = false;
  for (const s of scrape.samples) {
    if (s.name !== REQUESTS_METRIC) continue;
    const c = get(s.labels.method ?? 'GET', s.labels.route ?? s.labels.path ?? 'unknown');
    if (c === undefined) continue;
    c.requests += s.value;
    const status = Number(s.labels.status ?? s.labels.code ?? Number.NaN);
    if (!Number.isNaN(status)) {
      statusLabelled = true;
      if (status >= 500) c.errors += s.value;
    }
  }
  if (!statusLabelled) {
    for (const s of scrape.samples) {
      if (s.name !== ERRORS_METRIC) continue;
      const c = get(s.labels.method ?? 'GET', s.labels.route ?? s.labels.path ?? 'unknown');
      if (c !== undefined) c.errors += s.value;
    }
  }
  for (const h of scrape.histograms.get(DURATION_METRIC) ?? []) {
    const c = get(h.labels.method ?? 'GET', h.labels.route ?? h.labels.path ?? 'unknown');
    if (c !== undefined) c.buckets = mergeBuckets(c.buckets, h.buckets);
  }
  return out;
}

function mergeBuckets(
  a: { le: number; count: number }[],
  b: { le: number; count: number }[],
): { le: number; count: number }[] {
  const byLe = new Map<number, number>();
  for (const x of [...a, ...b]) byLe.set(x.le, (byLe.get(x.le) ?? 0) + x.count);
  return [...byLe.entries()].sort(([x], [y]) => x - y).map(([le, count]) => ({ le, count }));
}

/**
 * What happened between two scrapes. A counter that went down (a restart, a new release) counts
 * from zero, as Prometheus' rate() does.
 */
export function deltaOf(prev: Snapshot | null, cur: Snapshot): RouteCounters[] {
  const out: RouteCounters[] = [];
  for (const [key, c] of cur) {
    const p = prev?.get(key);
    const reset = p === undefined || c.requests < p.requests;
    if (reset) {
      if (c.requests > 0) out.push(structuredClone(c));
      continue;
    }
    const requests = c.requests - p.requests;
    if (requests <= 0) continue;
    const before = new Map(p.buckets.map((b) => [b.le, b.count]));
    out.push({
      method: c.method,
      route: c.route,
      requests,
      errors: Math.max(0, c.errors - p.errors),
      buckets: c.buckets.map((b) => ({ le: b.le, count: Math.max(0, b.count - (before.get(b.le) ?? 0)) })),
    });
  }
  return out;
}

export interface Summary {
  requests: number;
  errors: number;
  errorRate: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
}

const ms = (seconds: number | null) => (seconds === null ? null : Math.round(seconds * 1000 * 100) / 100);

export function summarize(routes: RouteCounters[]): Summary {
  let buckets: { le: number; count: number }[] = [];
  let requests = 0;
  let errors = 0;
  for (const r of routes) {
    requests += r.requests;
    errors += r.errors;
    buckets = mergeBuckets(buckets, r.buckets);
  }
  return {
    requests,
    errors,
    errorRate: requests > 0 ? errors / requests : null,
    p50Ms: ms(histogramQuantile(0.5, buckets)),
    p95Ms: ms(histogramQuantile(0.95, buckets)),
  };
}

/** Adds interval deltas up per route (a window of samples). */
export function accumulate(intervals: RouteCounters[][]): RouteCounters[] {
  const total = new Map<string, RouteCounters>();
  for (const routes of intervals) {
    for (const r of routes) {
      const key = keyOf(r.method, r.route);
      const t = total.get(key);
      if (t === undefined) total.set(key, structuredClone(r));
      else {
        t.requests += r.requests;
        t.errors += r.errors;
        t.buckets = mergeBuckets(t.buckets, r.buckets);
      }
    }
  }
  return [...total.values()];
}

export function routeStats(routes: RouteCounters[]): RouteStats[] {
  return routes
    .map((r) => {
      const s = summarize([r]);
      return {
        method: r.method,
        route: r.route,
        requests: r.requests,
        errors: r.errors,
        errorRate: s.errorRate ?? 0,
        p50Ms: s.p50Ms,
        p95Ms: s.p95Ms,
      };
    })
    .sort((a, b) => (b.p95Ms ?? 0) - (a.p95Ms ?? 0));
}

/** Exponentially weighted mean and variance: the learned baseline for anomaly detection. */
export class Ewma {
  mean = 0;
  variance = 0;
  n = 0;
  constructor(readonly alpha: number) {}

  /** Whether `x` is more than k standard deviations (and `floor`) above the baseline seen so far. */
  isAnomaly(x: number, k: number, floor: number, warmup: number): boolean {
    if (this.n < warmup) return false;
    const sd = Math.sqrt(this.variance);
    return x - this.mean > Math.max(k * sd, floor);
  }

  update(x: number): void {
    if (this.n === 0) {
      this.mean = x;
      this.variance = 0;
    } else {
      const diff = x - this.mean;
      const incr = this.alpha * diff;
      this.mean += incr;
      this.variance = (1 - this.alpha) * (this.variance + diff * incr);
    }
    this.n += 1;
  }
}
