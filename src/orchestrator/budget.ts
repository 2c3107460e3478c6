import type { BudgetsConfig } from '../config/orchestrator.js';
import { PowerAutoError } from '../contracts/errors.js';
import { LlmUsageMetrics } from '../contracts/mcp-meta.js';
import type { Store } from '../store/store.js';

/** LLM usage as the engines report it in their outputs' metrics (see engines/llm-brain.ts). */
export interface LlmUsage {
  calls: number;
  inputTokens: number;
  outputTokens: number;
  tokens: number;
  costUsd: number;
}

export interface RunUsage {
  run: LlmUsage;
  /** By stage: the step key, with every `fix-N` round counted as `fix`. */
  stages: Record<string, LlmUsage>;
}

const empty = (): LlmUsage => ({ calls: 0, inputTokens: 0, outputTokens: 0, tokens: 0, costUsd: 0 });

export function stageOf(stepKey: string): string {
  return /^fix-\d+$/.test(stepKey) ? 'fix' : stepKey;
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0;
}

function add(into: LlmUsage, metrics: Record<string, unknown>): void {
  const input = num(metrics.llmInputTokens);
  const output = num(metrics.llmOutputTokens);
  into.calls += num(metrics.llmCalls);
  into.inputTokens += input;
  into.outputTokens += output;
  into.tokens += input + output;
  into.costUsd += num(metrics.llmCostUsd);
}

/**
 * The LLM usage a failed engine call reported with its error (the coordinator's `EngineToolError`
 * carries it in `details.usage`), or null. Kept with the failed attempt, so the budgets count it.
 */
export function usageOfFailure(err: unknown): LlmUsageMetrics | null {
  if (!(err instanceof PowerAutoError)) return null;
  const parsed = LlmUsageMetrics.safeParse((err.details as { usage?: unknown } | null | undefined)?.usage);
  return parsed.success ? parsed.data : null;
}

/**
 * What a run has spent, summed from the metrics of every output it stored (each completed attempt is an
 * artifact version, so re-runs, rejections and fix rounds count too) and from the usage its failed
 * attempts reported (billed calls that left no output). Measured, never estimated.
 */
export async function measureRunUsage(store: Store, runId: string): Promise<RunUsage> {
  const usage: RunUsage = { run: empty(), stages: {} };
  const count = (stepKey: string, m: Record<string, unknown>) => {
    add(usage.run, m);
    const stage = stageOf(stepKey);
    usage.stages[stage] ??= empty();
    add(usage.stages[stage], m);
  };
  for (const artifact of await store.listArtifacts(runId)) {
    const metrics = (artifact.content as { metrics?: unknown } | null)?.metrics;
    if (typeof metrics !== 'object' || metrics === null) continue;
    count(artifact.stepKey, metrics as Record<string, unknown>);
  }
  for (const attempt of await store.attemptMetrics(runId)) count(attempt.stepKey, attempt.metrics);
  return usage;
}

const usd = (n: number) => `$${n.toFixed(6)}`;

/** Every configured budget the usage exceeds (measured total strictly above the limit), as sentences. */
export function budgetBreaches(budgets: BudgetsConfig, usage: RunUsage): string[] {
  const out: string[] = [];
  const { run } = usage;
  if (budgets.perRunUsd !== undefined && run.costUsd > budgets.perRunUsd)
    out.push(
      `budgets.perRunUsd ${usd(budgets.perRunUsd)} exceeded: measured ${usd(run.costUsd)} over ${run.calls} LLM call(s)`,
    );
  if (budgets.perRunTokens !== undefined && run.tokens > budgets.perRunTokens)
    out.push(
      `budgets.perRunTokens ${budgets.perRunTokens} exceeded: measured ${run.tokens} tokens over ${run.calls} LLM call(s)`,
    );
  for (const [stage, limit] of Object.entries(budgets.perStage)) {
    const s = usage.stages[stage] ?? empty();
    if (limit.usd !== undefined && s.costUsd > limit.usd)
      out.push(
        `budgets.perStage.${stage}.usd ${usd(limit.usd)} exceeded: measured ${usd(s.costUsd)} over ${s.calls} LLM call(s)`,
      );
    if (limit.tokens !== undefined && s.tokens > limit.tokens)
      out.push(
        `budgets.perStage.${stage}.tokens ${limit.tokens} exceeded: measured ${s.tokens} tokens over ${s.calls} LLM call(s)`,
      );
  }
  return out;
}

function configured(budgets: BudgetsConfig): boolean {
  return (
    budgets.perRunUsd !== undefined ||
    budgets.perRunTokens !== undefined ||
    Object.keys(budgets.perStage).length > 0
  );
}

/**
 * The scheduler's step-boundary check, before a step is dispatched: throws `BUDGET_EXCEEDED` (not
 * retryable) naming each exceeded budget and its measured total, which fails the step and so the run.
 */
export async function assertWithinBudget(store: Store, budgets: BudgetsConfig, runId: string): Promise<void> {
  if (!configured(budgets)) return;
  const breaches = budgetBreaches(budgets, await measureRunUsage(store, runId));
  if (breaches.length > 0) throw new PowerAutoError('BUDGET_EXCEEDED', breaches.join('; '));
}
