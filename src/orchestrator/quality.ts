import type { QualityCheckConfig } from '../config/orchestrator.js';
import type { Metrics, QualityCheck, QualityGateResult } from '../contracts/models.js';

export interface QualityEvaluation extends QualityGateResult {
  /** True when only `escalate` checks failed: the step may pass with a person's approval. */
  escalate: boolean;
}

const compare: Record<QualityCheck['op'], (a: number, b: number) => boolean> = {
  '>=': (a, b) => a >= b,
  '<=': (a, b) => a <= b,
  '==': (a, b) => a === b,
  '>': (a, b) => a > b,
  '<': (a, b) => a < b,
};

/** Compares measured metrics with thresholds. A metric that was not measured fails its check. */
export function evaluateQuality(
  gate: string,
  checks: QualityCheckConfig[],
  metrics: Metrics | null,
): QualityEvaluation {
  const results = checks.map((check) => {
    const actual = metrics?.[check.metric];
    const measured = typeof actual === 'number' && Number.isFinite(actual);
    return {
      metric: check.metric,
      op: check.op,
      threshold: check.threshold,
      actual: measured ? actual : null,
      passed: measured && compare[check.op](actual, check.threshold),
      onFail: check.onFail,
    };
  });
  const failed = results.filter((r) => !r.passed);
  return {
    gate,
    passed: failed.length === 0,
    escalate: failed.length > 0 && failed.every((r) => r.onFail === 'escalate'),
    checks: results.map(({ onFail: _onFail, ...check }) => check),
  };
}

export function describeFailures(result: QualityGateResult): string {
  return result.checks
    .filter((c) => !c.passed)
    .map(
      (c) =>
        `${c.metric} ${c.actual === null ? 'was not measured' : `= ${c.actual}`} (needs ${c.op} ${c.threshold})`,
    )
    .join('; ');
}
