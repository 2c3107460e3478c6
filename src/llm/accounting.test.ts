import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { costOf, estimateCost, estimateTokens, priceFor, UsageMeter } from './accounting.js';
import { BudgetExceededError } from './errors.js';

const prices = {
  'cheap/mini': { inputPerMTok: 0.15, outputPerMTok: 0.6 },
  'anthropic/big': { inputPerMTok: 3, outputPerMTok: 15 },
};

describe('accounting', () => {
  it('totals per run, per step and overall equal the sum of the recorded usage exactly', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            run: fc.constantFrom('r1', 'r2'),
            step: fc.constantFrom('requirements', 'coding'),
            inputTokens: fc.nat(200_000),
            outputTokens: fc.nat(50_000),
            priced: fc.boolean(),
          }),
          { maxLength: 40 },
        ),
        (calls) => {
          const meter = new UsageMeter();
          for (const c of calls) {
            const usage = { inputTokens: c.inputTokens, outputTokens: c.outputTokens };
            meter.record({
              keys: { run: c.run, step: c.step },
              provider: 'cheap',
              model: 'mini',
              usage,
              costUsd: c.priced ? costOf(usage, prices['cheap/mini']) : null,
            });
          }
          const sum = (xs: typeof calls) => ({
            calls: xs.length,
            inputTokens: xs.reduce((a, c) => a + c.inputTokens, 0),
            outputTokens: xs.reduce((a, c) => a + c.outputTokens, 0),
            unpricedCalls: xs.filter((c) => !c.priced).length,
          });
          expect(meter.total()).toMatchObject(sum(calls));
          for (const run of ['r1', 'r2']) {
            expect(meter.forRun(run)).toMatchObject(sum(calls.filter((c) => c.run === run)));
            for (const step of ['requirements', 'coding']) {
              expect(meter.forStep(run, step)).toMatchObject(
                sum(calls.filter((c) => c.run === run && c.step === step)),
              );
            }
          }
          // Cost: the same additions in the same order, so exactly equal.
          const cost = meter.list().reduce((a, r) => a + (r.costUsd ?? 0), 0);
          expect(meter.total().costUsd).toBe(cost);
          expect(meter.total().totalTokens).toBe(sum(calls).inputTokens + sum(calls).outputTokens);
        },
      ),
    );
  });

  it('detects a token or cost budget exceeded, per run, per step, and before a call from an estimate', () => {
    const meter = new UsageMeter({ perRun: { tokens: 1_000 }, perStep: { costUsd: 0.01 } });
    const keys = { run: 'r', step: 'coding' };
    meter.record({
      keys,
      provider: 'anthropic',
      model: 'big',
      usage: { inputTokens: 500, outputTokens: 100 },
      costUsd: 0.003,
    });
    expect(meter.check(keys)).toEqual({ exceeded: false, reasons: [] });
    expect(meter.check(keys, { tokens: 401 }).exceeded).toBe(true);
    expect(meter.check(keys, { tokens: 400 }).exceeded).toBe(false);
    meter.record({
      keys,
      provider: 'anthropic',
      model: 'big',
      usage: { inputTokens: 300, outputTokens: 200 },
      costUsd: 0.009,
    });
    const c = meter.check(keys);
    expect(c.exceeded).toBe(true);
    expect(c.reasons).toEqual(['run r: tokens 1100 > 1000', 'step r/coding: cost $0.012000 > $0.01']);
    expect(() => meter.assertWithin(keys)).toThrow(BudgetExceededError);
    expect(meter.check({ run: 'other' }).exceeded).toBe(false);
  });

  it('prices by provider name or type; unknown models cost null, not zero', () => {
    expect(priceFor(prices, { name: 'cheap', type: 'openai' }, 'mini')).toBe(prices['cheap/mini']);
    expect(priceFor(prices, { name: 'claude', type: 'anthropic' }, 'big')).toBe(prices['anthropic/big']);
    expect(costOf({ inputTokens: 1_000_000, outputTokens: 1_000_000 }, prices['anthropic/big'])).toBe(18);
    expect(costOf({ inputTokens: 1, outputTokens: 1 }, undefined)).toBeNull();
  });

  it('estimates cost without calling a model', () => {
    expect(estimateTokens('abcdefgh')).toBe(2);
    expect(estimateTokens('图书馆')).toBe(3);
    const e = estimateCost(
      prices,
      { name: 'claude', type: 'anthropic' },
      'big',
      { text: 'x'.repeat(4_000) },
      500,
    );
    expect(e).toEqual({ inputTokens: 1_000, outputTokens: 500, costUsd: (1_000 * 3 + 500 * 15) / 1e6 });
    expect(
      estimateCost(prices, { name: 'n', type: 'ollama' }, 'local', { inputTokens: 10 }, 1).costUsd,
    ).toBeNull();
  });
});
