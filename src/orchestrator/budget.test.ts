import { afterEach, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../../test/helpers/orchestrator-harness.js';
import { defaultOutput, RecordingExecutor } from '../../test/helpers/recording-executor.js';
import type { ToolCall } from '../contracts/executor.js';
import { measureRunUsage } from './budget.js';

const REQUIREMENT = 'A library service where librarians add books and members borrow them.';
const AUTO = {
  gatePolicies: { requirements: 'auto', architecture: 'auto', code_review: 'auto', release: 'auto' },
} as const;

/** Each engine output reports LLM usage in its metrics, as the LLM brains do. */
function spending(tokensIn: number, tokensOut: number, costUsd: number) {
  return (call: ToolCall) => {
    const out = defaultOutput(call);
    return {
      ...out,
      metrics: {
        ...(out.metrics as Record<string, number>),
        llmCalls: 1,
        llmInputTokens: tokensIn,
        llmOutputTokens: tokensOut,
        llmCostUsd: costUsd,
      },
    };
  };
}

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe('LLM budgets at the step boundary', () => {
  it('stops the run once the per-run cost budget is exceeded, naming it and the measured total', async () => {
    const spend = spending(600, 400, 0.004);
    const executor = new RecordingExecutor({
      behaviours: { requirements: spend, architecture: spend, test_plan: spend, coding: spend },
    });
    harness = await createHarness(executor, { budgets: { perRunUsd: 0.01 } });
    const run = await harness.orchestrator.startRun({
      requirement: REQUIREMENT,
      template: 'full',
      options: AUTO,
    });
    const done = await harness.orchestrator.drive(run.id);
    expect(done.status).toBe('failed');
    const stored = await harness.store.getRun(run.id);
    expect(stored?.error).toMatch(
      /BUDGET_EXCEEDED: budgets\.perRunUsd \$0\.010000 exceeded: measured \$0\.012000 over 3 LLM call/,
    );
    // requirements, then architecture and test_plan in parallel: $0.012 > $0.01 stops what follows.
    const called = executor.calls.map((c) => c.stepKey);
    expect(called).toEqual(expect.arrayContaining(['requirements', 'architecture', 'test_plan']));
    expect(called).not.toContain('coding');
    const usage = await measureRunUsage(harness.store, run.id);
    expect(usage.run).toEqual({
      calls: 3,
      inputTokens: 1800,
      outputTokens: 1200,
      tokens: 3000,
      costUsd: 0.012,
    });
  });

  it('stops on a per-stage token budget and leaves runs without budgets alone', async () => {
    const spend = spending(700, 400, 0);
    const executor = new RecordingExecutor({ behaviours: { requirements: spend } });
    harness = await createHarness(executor, { budgets: { perStage: { requirements: { tokens: 1000 } } } });
    const run = await harness.orchestrator.startRun({
      requirement: REQUIREMENT,
      template: 'design',
      options: AUTO,
    });
    const done = await harness.orchestrator.drive(run.id);
    expect(done.status).toBe('failed');
    expect((await harness.store.getRun(run.id))?.error).toMatch(
      /BUDGET_EXCEEDED: budgets\.perStage\.requirements\.tokens 1000 exceeded: measured 1100 tokens/,
    );
    expect(executor.calls.map((c) => c.stepKey)).toEqual(['requirements']);
    await harness.close();

    harness = await createHarness(new RecordingExecutor({ behaviours: { requirements: spend } }));
    const free = await harness.orchestrator.startRun({
      requirement: REQUIREMENT,
      template: 'design',
      options: AUTO,
    });
    expect((await harness.orchestrator.drive(free.id)).status).toBe('succeeded');
  });
});
