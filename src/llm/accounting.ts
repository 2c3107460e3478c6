import type { Budget, Price } from '../config/llm.js';
import { BudgetExceededError } from './errors.js';
import type { Usage } from './types.js';

export type PriceTable = Record<string, Price>;

/** `"<provider name>/<model>"` first, then `"<provider type>/<model>"`; undefined when neither is listed. */
export function priceFor(
  prices: PriceTable,
  provider: { name: string; type: string },
  model: string,
): Price | undefined {
  return prices[`${provider.name}/${model}`] ?? prices[`${provider.type}/${model}`];
}

/** USD for `usage` at `price`; null when the model has no price (unknown cost, not zero). */
export function costOf(usage: Usage, price: Price | undefined): number | null {
  if (!price) return null;
  return (usage.inputTokens * price.inputPerMTok + usage.outputTokens * price.outputPerMTok) / 1_000_000;
}

// CJK ideographs, kana and hangul: roughly one token per character in common tokenizers.
const DENSE_SCRIPT = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]/gu;

/** A tokenizer-free estimate: ~4 characters per token for Latin text, one per CJK character. */
export function estimateTokens(text: string): number {
  const dense = text.match(DENSE_SCRIPT)?.length ?? 0;
  return dense + Math.ceil((text.length - dense) / 4);
}

export interface CostEstimate {
  inputTokens: number;
  outputTokens: number;
  /** Null when the model is not in the price table. */
  costUsd: number | null;
}

/** Expected cost of a call from its prompt (text, or a token count) and expected output size. No model is called. */
export function estimateCost(
  prices: PriceTable,
  provider: { name: string; type: string },
  model: string,
  prompt: { text: string } | { inputTokens: number },
  expectedOutputTokens: number,
): CostEstimate {
  const inputTokens = 'text' in prompt ? estimateTokens(prompt.text) : prompt.inputTokens;
  const usage = { inputTokens, outputTokens: expectedOutputTokens };
  return { ...usage, costUsd: costOf(usage, priceFor(prices, provider, model)) };
}

/** Who a call is charged to. All optional: a call without a run is only counted in the grand total. */
export interface UsageKeys {
  run?: string;
  /** Step key within the run. */
  step?: string;
  /** Caller's id for this call (e.g. an idempotency key); defaults to a counter. */
  call?: string;
}

export interface UsageRecord {
  keys: UsageKeys;
  provider: string;
  model: string;
  usage: Usage;
  costUsd: number | null;
}

export interface UsageTotals {
  calls: number;
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  /** Sum over priced calls. */
  costUsd: number;
  /** Calls whose model had no price: `costUsd` undercounts when this is > 0. */
  unpricedCalls: number;
}

export interface Budgets {
  perRun?: Budget;
  perStep?: Budget;
  perCall?: Budget;
}

export interface BudgetCheck {
  exceeded: boolean;
  /** One line per limit that is exceeded, e.g. `run r1: tokens 1200 > 1000`. */
  reasons: string[];
}

const emptyTotals = (): UsageTotals => ({
  calls: 0,
  inputTokens: 0,
  outputTokens: 0,
  totalTokens: 0,
  costUsd: 0,
  unpricedCalls: 0,
});

function add(t: UsageTotals, r: UsageRecord): void {
  t.calls += 1;
  t.inputTokens += r.usage.inputTokens;
  t.outputTokens += r.usage.outputTokens;
  t.totalTokens += r.usage.inputTokens + r.usage.outputTokens;
  if (r.costUsd === null) t.unpricedCalls += 1;
  else t.costUsd += r.costUsd;
}

/**
 * Sums usage per call, per step and per run, and says when a budget is exceeded. In memory; the
 * orchestrator persists what it needs. Budgets are checked against totals so far, plus an optional
 * estimate of the next call, so a caller can refuse a call before it is made.
 */
export class UsageMeter {
  private readonly records: UsageRecord[] = [];
  private readonly runs = new Map<string, UsageTotals>();
  private readonly steps = new Map<string, UsageTotals>();
  private readonly calls = new Map<string, UsageTotals>();
  private readonly all = emptyTotals();
  private counter = 0;

  constructor(readonly budgets: Budgets = {}) {}

  record(rec: UsageRecord): UsageRecord {
    const call = rec.keys.call ?? `call-${++this.counter}`;
    const stored: UsageRecord = { ...rec, keys: { ...rec.keys, call }, usage: { ...rec.usage } };
    this.records.push(stored);
    add(this.all, stored);
    const bucket = (map: Map<string, UsageTotals>, key: string) => {
      let t = map.get(key);
      if (!t) {
        t = emptyTotals();
        map.set(key, t);
      }
      add(t, stored);
    };
    if (rec.keys.run !== undefined) {
      bucket(this.runs, rec.keys.run);
      if (rec.keys.step !== undefined) bucket(this.steps, stepKey(rec.keys.run, rec.keys.step));
    }
    bucket(this.calls, call);
    return stored;
  }

  /** Every record so far, in order. */
  list(filter: { run?: string; step?: string } = {}): UsageRecord[] {
    return this.records.filter(
      (r) =>
        (filter.run === undefined || r.keys.run === filter.run) &&
        (filter.step === undefined || r.keys.step === filter.step),
    );
  }

  total(): UsageTotals {
    return { ...this.all };
  }
  forRun(run: string): UsageTotals {
    return { ...(this.runs.get(run) ?? emptyTotals()) };
  }
  forStep(run: string, step: string): UsageTotals {
    return { ...(this.steps.get(stepKey(run, step)) ?? emptyTotals()) };
  }
  forCall(call: string): UsageTotals {
    return { ...(this.calls.get(call) ?? emptyTotals()) };
  }

  /**
   * Whether the budgets that apply to `keys` are exceeded now, or would be after a call of `next`
   * (e.g. from `estimateCost`).
   */
  check(keys: UsageKeys, next?: { tokens?: number; costUsd?: number | null }): BudgetCheck {
    const reasons: string[] = [];
    const test = (label: string, totals: UsageTotals, budget: Budget | undefined) => {
      if (!budget) return;
      const tokens = totals.totalTokens + (next?.tokens ?? 0);
      const cost = totals.costUsd + (next?.costUsd ?? 0);
      if (budget.tokens !== undefined && tokens > budget.tokens) {
        reasons.push(`${label}: tokens ${tokens} > ${budget.tokens}`);
      }
      if (budget.costUsd !== undefined && cost > budget.costUsd) {
        reasons.push(`${label}: cost $${cost.toFixed(6)} > $${budget.costUsd}`);
      }
    };
    if (keys.run !== undefined) {
      test(`run ${keys.run}`, this.forRun(keys.run), this.budgets.perRun);
      if (keys.step !== undefined) {
        test(`step ${keys.run}/${keys.step}`, this.forStep(keys.run, keys.step), this.budgets.perStep);
      }
    }
    if (keys.call !== undefined) test(`call ${keys.call}`, this.forCall(keys.call), this.budgets.perCall);
    return { exceeded: reasons.length > 0, reasons };
  }

  /** Throws `BudgetExceededError` when `check` finds a limit exceeded. */
  assertWithin(keys: UsageKeys, next?: { tokens?: number; costUsd?: number | null }): void {
    const r = this.check(keys, next);
    if (r.exceeded)
      throw new BudgetExceededError(`LLM budget exceeded: ${r.reasons.join('; ')}`, {
        keys,
        reasons: r.reasons,
      });
  }
}

function stepKey(run: string, step: string): string {
  return JSON.stringify([run, step]);
}
