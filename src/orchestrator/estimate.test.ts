import { describe, expect, it } from 'vitest';
import { EngineLlmConfig } from '../config/engine-llm.js';
import { estimateRun, formatEstimate } from './estimate.js';

const SHORT = 'Librarians add books. Members borrow books.';
const LONG = `${SHORT} Members return books. Librarians list overdue loans. Members search books by title.`;

const cfg = EngineLlmConfig.parse({
  providers: {
    cheap: { type: 'openai', model: 'small', baseUrl: 'http://127.0.0.1:9/v1' },
    big: { type: 'anthropic', model: 'large' },
  },
  defaultProvider: 'big',
  engines: { requirements: { provider: 'cheap' } },
  prices: {
    'cheap/small': { inputPerMTok: 0.5, outputPerMTok: 1 },
    'big/large': { inputPerMTok: 3, outputPerMTok: 15 },
  },
});

describe('run --estimate', () => {
  it('says offline costs nothing when no provider is configured', () => {
    for (const llm of [undefined, EngineLlmConfig.parse({})]) {
      const e = estimateRun(llm, 'full', SHORT);
      expect(e.llm).toBe(false);
      expect(e.total).toEqual({ calls: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 });
      expect(formatEstimate(e)).toMatch(/0 model calls, \$0\.00; no LLM provider/);
    }
  });

  it('prices each stage with its engine provider and grows with the requirement', () => {
    const e = estimateRun(cfg, 'full', SHORT, 3);
    expect(e.stages.map((s) => s.step)).toEqual([
      'requirements',
      'architecture',
      'test_plan',
      'coding',
      'release',
      'monitoring',
    ]);
    const req = e.stages[0]!;
    expect(`${req.provider}/${req.model}`).toBe('cheap/small');
    expect(req.costUsd).toBeCloseTo((req.inputTokens * 0.5 + req.outputTokens) / 1e6, 12);
    expect(e.stages[1]!.provider).toBe('big');
    expect(e.total.calls).toBe(6);
    expect(e.total.costUsd).toBeCloseTo(
      e.stages.reduce((n, s) => n + (s.costUsd ?? 0), 0),
      12,
    );
    expect(e.notes.join(' ')).toMatch(/fix round/);
    const longer = estimateRun(cfg, 'full', LONG);
    expect(longer.total.inputTokens).toBeGreaterThan(e.total.inputTokens);
    expect(longer.total.costUsd!).toBeGreaterThan(e.total.costUsd!);
    expect(estimateRun(cfg, 'design', SHORT).stages.map((s) => s.step)).toEqual([
      'requirements',
      'architecture',
    ]);
    expect(formatEstimate(e)).toMatch(/requirements\s+cheap\/small/);
  });

  it('marks a model without a price as unpriced, never $0', () => {
    const e = estimateRun(
      EngineLlmConfig.parse({ providers: { x: { type: 'ollama', model: 'm' } } }),
      'design',
      SHORT,
    );
    expect(e.total.calls).toBe(2);
    expect(e.total.costUsd).toBeNull();
  });
});
