import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../../test/helpers/orchestrator-harness.js';
import { defaultOutput, RecordingExecutor } from '../../test/helpers/recording-executor.js';
import { EnginesConfig } from '../config/engines.js';
import type { ToolCall } from '../contracts/executor.js';
import { MCPCoordinator } from '../coordinator/index.js';
import { type FakeServer, json, startFakeServer } from '../llm/testing/fake-server.js';
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

/** An OpenAI chat completion as the fake provider answers it, billed at `inputTokens`/`outputTokens`. */
function completion(message: Record<string, unknown>, inputTokens: number, outputTokens: number) {
  return json(200, {
    id: 'c',
    object: 'chat.completion',
    created: 1,
    model: 'gpt-test',
    choices: [{ index: 0, message: { role: 'assistant', ...message }, finish_reason: 'stop' }],
    usage: {
      prompt_tokens: inputTokens,
      completion_tokens: outputTokens,
      total_tokens: inputTokens + outputTokens,
    },
  });
}

/**
 * Runs `body` with the real requirements engine (in process, through the coordinator) on a fake
 * OpenAI server whose answers the body enqueues, a run budget of 1,000 tokens, and `fallback` as given.
 */
async function withFakeModel(
  fallback: 'offline' | 'fail',
  body: (llm: FakeServer, harness: Harness) => Promise<void>,
): Promise<void> {
  const llm = await startFakeServer();
  const dir = await mkdtemp(join(tmpdir(), 'pa-budget-llm-'));
  const config = join(dir, 'config.json');
  // The in-process engines read the `llm` section themselves, as a separate engine process would.
  await writeFile(
    config,
    JSON.stringify({
      llm: {
        fallback,
        providers: { fake: { type: 'openai', baseUrl: `${llm.url}/v1`, model: 'gpt-test', apiKey: 'k' } },
        prices: { 'fake/gpt-test': { inputPerMTok: 1, outputPerMTok: 2 } },
        retry: { maxAttempts: 1 },
        repairAttempts: 1,
      },
    }),
  );
  const previous = process.env.POWERAUTO_CONFIG;
  process.env.POWERAUTO_CONFIG = config;
  let coordinator: MCPCoordinator | undefined;
  try {
    coordinator = await MCPCoordinator.start(EnginesConfig.parse({ engines: [{ role: 'requirements' }] }));
    harness = await createHarness(coordinator, { budgets: { perRunTokens: 1000 } });
    await body(llm, harness);
  } finally {
    if (previous === undefined) delete process.env.POWERAUTO_CONFIG;
    else process.env.POWERAUTO_CONFIG = previous;
    await harness?.close();
    harness = undefined;
    await coordinator?.close();
    await llm.close();
    await rm(dir, { recursive: true, force: true });
  }
}

describe('failed LLM calls count toward the budgets', () => {
  it('a run whose model calls all failed is charged for them, and stopped by them alone', async () => {
    await withFakeModel('offline', async (llm, harness) => {
      // The answer fails its schema, the repair is refused: no model output survives, the offline
      // brain answers, and both billed calls must still be counted.
      llm.enqueue(
        completion({ content: '{"projectName": 7}' }, 400, 100),
        completion({ content: null, refusal: 'I cannot help with that.' }, 550, 0),
      );
      const run = await harness.orchestrator.startRun({
        requirement: REQUIREMENT,
        template: 'design',
        options: AUTO,
      });
      const done = await harness.orchestrator.drive(run.id);
      expect(llm.requests).toHaveLength(2);
      expect(done.status).toBe('failed');
      expect((await harness.store.getRun(run.id))?.error).toMatch(
        /BUDGET_EXCEEDED: budgets\.perRunTokens 1000 exceeded: measured 1050 tokens over 2 LLM call/,
      );
      const usage = await measureRunUsage(harness.store, run.id);
      expect(usage.run).toMatchObject({ calls: 2, inputTokens: 950, outputTokens: 100, tokens: 1050 });
      expect(usage.run.costUsd).toBeCloseTo(0.00115, 10);
      const steps = (await harness.orchestrator.getRunView(run.id)).steps;
      expect(steps.find((s) => s.key === 'requirements')?.status).toBe('succeeded');
      expect(steps.find((s) => s.key === 'architecture')?.status).not.toBe('succeeded');
    });
  });
});

describe('failed LLM steps count toward the budgets', () => {
  it("a step failed by its model (fallback 'fail') is charged for the calls, and resume stops at the budget", async () => {
    await withFakeModel('fail', async (llm, harness) => {
      llm.enqueue(
        completion({ content: '{"projectName": 7}' }, 400, 100),
        completion({ content: '{"projectName": 8}' }, 600, 100),
      );
      const run = await harness.orchestrator.startRun({
        requirement: REQUIREMENT,
        template: 'design',
        options: AUTO,
      });
      const done = await harness.orchestrator.drive(run.id);
      expect(done.status).toBe('failed');
      expect((await harness.store.getRun(run.id))?.error).toMatch(/LLM_FAILED.*LLM_OUTPUT_INVALID/);
      const usage = await measureRunUsage(harness.store, run.id);
      expect(usage.run).toMatchObject({ calls: 2, inputTokens: 1000, outputTokens: 200, tokens: 1200 });
      expect(usage.stages.requirements?.tokens).toBe(1200);
      // A second attempt would be paid on top: the budget already spent by the failure stops it.
      const resumed = await harness.orchestrator.resume(run.id);
      const again = await harness.orchestrator.drive(resumed.id);
      expect(again.status).toBe('failed');
      expect((await harness.store.getRun(run.id))?.error).toMatch(
        /BUDGET_EXCEEDED: budgets\.perRunTokens 1000 exceeded: measured 1200 tokens over 2 LLM call/,
      );
      expect(llm.requests).toHaveLength(2);
    });
  });
});
