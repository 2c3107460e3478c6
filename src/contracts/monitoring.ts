import { z } from 'zod';
import { Metrics } from './models.js';
import { ProducedBy } from './produced-by.js';

export const AlertSeverity = z.enum(['info', 'warning', 'critical']);
export type AlertSeverity = z.infer<typeof AlertSeverity>;

export const Alert = z.object({
  id: z.string(),
  /** Rule name: from config, from an NFR target (`nfr:…`), `anomaly:…`, or `process_restarted`. */
  rule: z.string(),
  severity: AlertSeverity,
  state: z.enum(['firing', 'resolved']),
  message: z.string(),
  environment: z.string(),
  version: z.string().nullable(),
  /** The measured value that fired it, and the limit it crossed (null for events). */
  value: z.number().nullable(),
  threshold: z.number().nullable(),
  firedAt: z.string(),
  resolvedAt: z.string().nullable(),
});
export type Alert = z.infer<typeof Alert>;

/** Something the watcher did about what it saw. */
export const RemediationAction = z.object({
  at: z.string(),
  type: z.enum(['restart', 'rollback', 'notify']),
  ok: z.boolean(),
  detail: z.string(),
  /** Rollbacks: ms from the first sample with errors (or the breach) to traffic on the previous release. */
  durationMs: z.number().nullable(),
});
export type RemediationAction = z.infer<typeof RemediationAction>;

export const RouteStats = z.object({
  method: z.string(),
  route: z.string(),
  requests: z.number(),
  errors: z.number(),
  errorRate: z.number(),
  p50Ms: z.number().nullable(),
  p95Ms: z.number().nullable(),
});
export type RouteStats = z.infer<typeof RouteStats>;

/**
 * One sample of the time series the AdminBoard draws (one per poll interval). Rates are over the
 * interval since the previous sample; latencies from the histogram bucket deltas of that interval.
 */
export const MonitoringSample = z.object({
  at: z.string(),
  version: z.string().nullable(),
  healthy: z.boolean(),
  requests: z.number(),
  errors: z.number(),
  requestRate: z.number(),
  errorRate: z.number().nullable(),
  p50Ms: z.number().nullable(),
  p95Ms: z.number().nullable(),
  cpuPercent: z.number().nullable(),
  memoryMb: z.number().nullable(),
});
export type MonitoringSample = z.infer<typeof MonitoringSample>;

export const MonitoringReport = z.object({
  project: z.string(),
  environment: z.string(),
  url: z.string(),
  version: z.string().nullable(),
  /** True while a watcher keeps running after this report (hosted by the environment's supervisor). */
  watching: z.boolean(),
  window: z.object({ startedAt: z.string(), endedAt: z.string() }),
  routes: z.array(RouteStats),
  alerts: z.array(Alert),
  actions: z.array(RemediationAction),
  suggestions: z.array(z.string()),
  series: z.array(MonitoringSample),
  /**
   * Over the window: errorRate, p50LatencyMs, p95LatencyMs, requestRate, requests, uptimeRatio,
   * cpuPercent, memoryMb, alertsFiring, alertsFired, rollbacks, restarts, samples. A number that
   * could not be measured (no requests seen) is absent, so a gate on it fails rather than passes.
   */
  metrics: Metrics,
  producedBy: ProducedBy.optional(),
});
export type MonitoringReport = z.infer<typeof MonitoringReport>;
