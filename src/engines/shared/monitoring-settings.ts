/**
 * The `monitoring` config section's schema: alert rules, webhooks, anomaly detection. Shared because the
 * deployment engine's supervisor hosts the watcher and takes these settings in `POST /monitor/start`.
 */
import { z } from 'zod';
import { AlertSeverity } from '../../contracts/monitoring.js';

/** What a rule can look at in each sample (see MonitoringSample). */
export const RuleMetric = z.enum([
  'errorRate',
  'p95Ms',
  'p50Ms',
  'requestRate',
  'cpuPercent',
  'memoryMb',
  'unhealthy',
]);
export type RuleMetric = z.infer<typeof RuleMetric>;

export const AlertRule = z.object({
  name: z.string().min(1),
  metric: RuleMetric,
  op: z.enum(['>', '>=', '<', '<=']),
  threshold: z.number(),
  severity: AlertSeverity.default('warning'),
  /** Consecutive samples breaching before it fires (and clear before it resolves). */
  forSamples: z.number().int().min(1).max(100).default(1),
  /** Roll back to the previous release when this fires within the watch window after a deploy. */
  rollback: z.boolean().default(false),
});
export type AlertRule = z.infer<typeof AlertRule>;

export const Webhook = z.object({
  url: z.url(),
  /** Attempts after the first. */
  retries: z.number().int().min(0).max(10).default(3),
  timeoutMs: z.number().int().positive().max(60_000).default(2_000),
  backoffMs: z.number().int().min(0).max(60_000).default(200),
});
export type Webhook = z.infer<typeof Webhook>;

export const AnomalySettings = z.object({
  enabled: z.boolean().default(true),
  /** EWMA weight of the newest sample. */
  alpha: z.number().gt(0).lte(1).default(0.2),
  /** Fires when a value exceeds the baseline by k standard deviations (and the floor below). */
  k: z.number().positive().default(4),
  warmupSamples: z.number().int().min(1).default(8),
  /** Ignore anomalies smaller than this many ms of p95 latency (noise on an idle service). */
  latencyFloorMs: z.number().min(0).default(50),
});

export const MonitoringSettings = z.object({
  intervalMs: z.number().int().min(50).max(60_000).default(1_000),
  /** How long `monitor_start` watches before it reports (the pipeline's monitoring step). */
  watchWindowMs: z.number().int().positive().max(3_600_000).default(10_000),
  /** After a deploy, how long a breach of a rollback rule rolls back automatically. */
  rollbackWindowMs: z.number().int().positive().default(600_000),
  autoRollback: z.boolean().default(true),
  /** Default gate thresholds, also the built-in rollback rules (an NFR target replaces the latency one). */
  errorRateThreshold: z.number().min(0).max(1).default(0.01),
  p95LatencyMs: z.number().positive().default(500),
  /** An interval with fewer requests does not count for the error-rate rule. */
  minRequests: z.number().int().min(1).default(5),
  rules: z.array(AlertRule).default([]),
  anomaly: AnomalySettings.default(AnomalySettings.parse({})),
  webhooks: z.array(Webhook).default([]),
  /** Samples kept on disk per environment (the AdminBoard's time series). */
  sampleRetention: z.number().int().min(10).max(100_000).default(720),
  /** Synthetic GETs per interval (health + smoke paths) so an idle service is still measured. */
  probe: z.boolean().default(true),
});
export type MonitoringSettings = z.infer<typeof MonitoringSettings>;
