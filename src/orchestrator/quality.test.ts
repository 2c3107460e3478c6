import { describe, expect, it } from 'vitest';
import { DEFAULT_QUALITY_GATES } from '../config/orchestrator.js';
import { evaluateQuality } from './quality.js';

describe('the default monitoring gate', () => {
  const monitoring = DEFAULT_QUALITY_GATES.monitoring!;
  const healthy = { errorRate: 0.002, p95LatencyMs: 120, rollbacks: 0 };

  it('passes a release that held through the window', () => {
    expect(evaluateQuality('monitoring', monitoring, healthy).passed).toBe(true);
  });

  it('fails a release the watcher rolled back, even when the incident left the error rate under 1%', () => {
    const result = evaluateQuality('monitoring', monitoring, { ...healthy, rollbacks: 1 });
    expect(result.passed).toBe(false);
    expect(result.escalate).toBe(false);
    expect(result.checks.filter((c) => !c.passed).map((c) => c.metric)).toEqual(['rollbacks']);
  });

  it('fails when the report does not say how many rollbacks there were', () => {
    const { rollbacks: _rollbacks, ...unmeasured } = healthy;
    expect(evaluateQuality('monitoring', monitoring, unmeasured).passed).toBe(false);
  });
});
