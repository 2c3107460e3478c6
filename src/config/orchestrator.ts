import { z } from 'zod';
import { GateName, GatePolicy } from '../contracts/models.js';

export const QualityCheckConfig = z.object({
  metric: z.string(),
  op: z.enum(['>=', '<=', '==', '>', '<']),
  threshold: z.number(),
  /** `fail` fails the step; `escalate` lets it pass only with a person's approval. */
  onFail: z.enum(['fail', 'escalate']).default('fail'),
});
export type QualityCheckConfig = z.infer<typeof QualityCheckConfig>;

/** DESIGN.md section 4 thresholds, keyed by step key. Metric names are those the engines measure. */
export const DEFAULT_QUALITY_GATES: Record<string, QualityCheckConfig[]> = {
  requirements: [
    { metric: 'functionalRequirements', op: '>=', threshold: 1, onFail: 'escalate' },
    { metric: 'mustHavesWithoutAcceptanceCriteria', op: '<=', threshold: 0, onFail: 'escalate' },
    { metric: 'sentenceCoverage', op: '>=', threshold: 0.8, onFail: 'escalate' },
  ],
  architecture: [
    { metric: 'mustHavesUntraced', op: '<=', threshold: 0, onFail: 'fail' },
    { metric: 'openapiValid', op: '>=', threshold: 1, onFail: 'fail' },
  ],
  static_analysis: [
    { metric: 'typeErrors', op: '<=', threshold: 0, onFail: 'fail' },
    { metric: 'lintErrors', op: '<=', threshold: 0, onFail: 'fail' },
    { metric: 'buildOk', op: '>=', threshold: 1, onFail: 'fail' },
  ],
  testing: [
    { metric: 'testsFailed', op: '<=', threshold: 0, onFail: 'fail' },
    { metric: 'mustHavesWithoutPassingTest', op: '<=', threshold: 0, onFail: 'fail' },
    { metric: 'lineCoverage', op: '>=', threshold: 80, onFail: 'fail' },
  ],
  verify_staging: [
    { metric: 'healthStatus', op: '==', threshold: 200, onFail: 'fail' },
    { metric: 'smokeFailed', op: '<=', threshold: 0, onFail: 'fail' },
  ],
  monitoring: [
    { metric: 'errorRate', op: '<', threshold: 0.01, onFail: 'fail' },
    { metric: 'p95LatencyMs', op: '<=', threshold: 500, onFail: 'fail' },
    // A release the watcher had to roll back did not hold, however short the incident that made the
    // window's error rate: the gate passes only on a release still serving at the end.
    { metric: 'rollbacks', op: '<=', threshold: 0, onFail: 'fail' },
  ],
};

export const SchedulerConfig = z.object({
  /** Tool calls in flight at once, across all runs this process drives. */
  concurrency: z.number().int().min(1).max(64).default(4),
  /** A step attempt that takes longer is cancelled and counts as failed. */
  stepTimeoutMs: z
    .number()
    .int()
    .positive()
    .default(15 * 60_000),
  /** Attempts per step for retryable failures (engine crash, timeout), including the first. */
  maxAttempts: z.number().int().min(1).max(10).default(3),
  /** Exponential backoff between attempts: base * 2^(attempt-1), capped. */
  backoffBaseMs: z.number().int().min(0).default(1_000),
  backoffMaxMs: z.number().int().min(0).default(30_000),
  /** How long a crashed driver's claim on a run blocks another process. */
  leaseTtlMs: z.number().int().positive().default(30_000),
});
export type SchedulerConfig = z.infer<typeof SchedulerConfig>;

const StageBudget = z.object({
  usd: z.number().positive().optional(),
  tokens: z.number().int().positive().optional(),
});

/**
 * LLM spend limits, checked before each step is dispatched against the usage the engines reported in
 * their outputs' metrics (llmInputTokens, llmOutputTokens, llmCostUsd). Default: none (no limit).
 * `perStage` is keyed by step key (`requirements`, `coding`, …; every `fix-N` round counts as `fix`).
 */
export const BudgetsConfig = z.object({
  perRunUsd: z.number().positive().optional(),
  perRunTokens: z.number().int().positive().optional(),
  perStage: z.record(z.string(), StageBudget).default({}),
});
export type BudgetsConfig = z.infer<typeof BudgetsConfig>;

export const OrchestratorConfig = z.object({
  scheduler: SchedulerConfig.default(SchedulerConfig.parse({})),
  /** Approval policy per gate when a run does not say; `--yes` makes every gate `auto`. */
  gates: z.partialRecord(GateName, GatePolicy).default({}),
  quality: z.record(z.string(), z.array(QualityCheckConfig)).default(DEFAULT_QUALITY_GATES),
  /** Longest requirement text accepted, in bytes (UTF-8). */
  maxRequirementBytes: z.number().int().positive().default(100_000),
  budgets: BudgetsConfig.default({ perStage: {} }),
});
export type OrchestratorConfig = z.infer<typeof OrchestratorConfig>;
