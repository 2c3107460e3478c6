import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { LlmConfig } from '../config/llm.js';
import { LlmError } from './errors.js';
import { createLlm } from './factory.js';
import { redactSecrets } from './redact.js';
import { backoffDelay, DEFAULT_RETRY_POLICY, parseRetryAfter, withRetry } from './retry.js';
import { jsonSchemaOf, openAiStrictSchema, toGbnfSchema } from './schema.js';

describe('redactSecrets', () => {
  it('removes raw, URL-encoded and JSON-escaped forms, and ignores trivially short secrets', () => {
    const key = 'sk-a/b+c"d';
    const text = `k=${key} url=${encodeURIComponent(key)} json=${JSON.stringify({ key })}`;
    const out = redactSecrets(text, [key, undefined, 'ab']);
    expect(out).not.toContain(key);
    expect(out).not.toContain(encodeURIComponent(key));
    expect(out).not.toContain('sk-a/b+c\\"d');
    expect(out.match(/\[REDACTED\]/g)).toHaveLength(3);
    expect(redactSecrets('ab cd', ['ab'])).toBe('ab cd');
  });
});

describe('retry', () => {
  it('parses Retry-After as seconds, HTTP-date and retry-after-ms', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter(new Headers({ 'retry-after': '2' }), now)).toBe(2000);
    expect(parseRetryAfter(new Headers({ 'retry-after': 'Wed, 01 Jan 2025 00:00:03 GMT' }), now)).toBe(3000);
    expect(parseRetryAfter(new Headers({ 'retry-after': 'Tue, 31 Dec 2024 00:00:00 GMT' }), now)).toBe(0);
    expect(parseRetryAfter(new Headers({ 'retry-after-ms': '150', 'retry-after': '9' }), now)).toBe(150);
    expect(parseRetryAfter(new Headers({ 'retry-after': 'soon' }), now)).toBeUndefined();
    expect(parseRetryAfter(new Headers(), now)).toBeUndefined();
  });

  it('backs off exponentially within the cap, and refuses a Retry-After beyond maxRetryAfterMs', async () => {
    const p = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 100, maxDelayMs: 1_000 };
    expect(backoffDelay(1, p, () => 0)).toBe(50);
    expect(backoffDelay(1, p, () => 1)).toBe(100);
    expect(backoffDelay(10, p, () => 1)).toBe(1_000);
    let calls = 0;
    const err = await withRetry(
      async () => {
        calls++;
        throw new LlmError('HTTP 429', { status: 429, retryable: true, retryAfterMs: 120_000 });
      },
      { ...p, maxRetryAfterMs: 1_000 },
    ).catch((e: unknown) => e as LlmError);
    expect(calls).toBe(1);
    expect(err.message).toMatch(/asked to wait 120000 ms/);
  });
});

describe('schemas', () => {
  const S = z.object({ a: z.string().max(5), b: z.number().optional(), c: z.enum(['x', 'y']).nullable() });

  it('OpenAI strict needs every property required; objects are closed', () => {
    const strict = openAiStrictSchema(
      jsonSchemaOf(z.object({ a: z.string(), n: z.object({ d: z.boolean() }) })),
    );
    expect(strict.strict).toBe(true);
    expect(strict.schema).toMatchObject({
      additionalProperties: false,
      properties: { n: { additionalProperties: false } },
    });
    expect(openAiStrictSchema(jsonSchemaOf(S)).strict).toBe(false);
  });

  it('converts to the node-llama-cpp grammar subset', () => {
    expect(toGbnfSchema(jsonSchemaOf(S))).toEqual({
      type: 'object',
      properties: {
        a: { type: 'string', maxLength: 5 },
        b: { type: 'number' },
        c: { oneOf: [{ enum: ['x', 'y'] }, { type: 'null' }] },
      },
      additionalProperties: false,
    });
  });
});

describe('config and factory', () => {
  it('nothing configured means no LLM', () => {
    expect(createLlm(LlmConfig.parse({}))).toBeUndefined();
  });

  it('selects provider and model per engine; rejects unknown provider names', () => {
    const cfg = LlmConfig.parse({
      providers: {
        cheap: { type: 'openai', model: 'mini', baseUrl: 'http://127.0.0.1:1/v1' },
        strong: { type: 'anthropic', model: 'big', apiKeyEnv: 'TEST_ANTHROPIC_KEY' },
      },
      defaultProvider: 'cheap',
      engines: { coding: { provider: 'strong' }, requirements: { provider: 'cheap', model: 'nano' } },
    });
    const llm = createLlm(cfg, { env: { TEST_ANTHROPIC_KEY: 'sk-ant-xyz-123' } })!;
    expect(llm.forEngine('coding')?.provider).toMatchObject({ type: 'anthropic', model: 'big' });
    expect(llm.forEngine('requirements')?.model).toBe('nano');
    expect(llm.forEngine('testing')?.model).toBe('mini');
    expect(cfg.retry.maxAttempts).toBe(4);
    expect(cfg.repairAttempts).toBe(2);
    expect(LlmConfig.safeParse({ providers: {}, engines: { coding: { provider: 'nope' } } }).success).toBe(
      false,
    );
  });

  it('a missing Anthropic key names the variable, never a value', () => {
    const cfg = LlmConfig.parse({ providers: { a: { type: 'anthropic', model: 'm' } } });
    expect(() => createLlm(cfg, { env: {} })!.forEngine('coding')).toThrow(/ANTHROPIC_API_KEY/);
  });
});

describe('LlmClient budgets', () => {
  it('refuses a call once the run budget is spent, and records usage per call', async () => {
    const { UsageMeter } = await import('./accounting.js');
    const { LlmClient } = await import('./client.js');
    const { BudgetExceededError } = await import('./errors.js');
    let calls = 0;
    const provider = {
      name: 'p',
      type: 'ollama' as const,
      model: 'm',
      constrainedDecoding: false,
      complete: async () => {
        calls++;
        return {
          text: 'x',
          toolCalls: [],
          usage: { inputTokens: 8, outputTokens: 4 },
          stopReason: 'stop' as const,
          model: 'm',
        };
      },
      stream: async function* () {},
    };
    const meter = new UsageMeter({ perRun: { tokens: 20 } });
    const client = new LlmClient(provider, { meter });
    const account = { run: 'r', step: 's' };
    await client.complete({ messages: [{ role: 'user', content: 'a' }] }, { account });
    await client.complete({ messages: [{ role: 'user', content: 'b' }] }, { account });
    await expect(
      client.complete({ messages: [{ role: 'user', content: 'c' }] }, { account }),
    ).rejects.toBeInstanceOf(BudgetExceededError);
    expect(calls).toBe(2);
    expect(meter.forRun('r')).toMatchObject({ calls: 2, totalTokens: 24, unpricedCalls: 2 });
  });

  it('records the usage of attempts that failed after the provider billed them, retried or not', async () => {
    const { UsageMeter } = await import('./accounting.js');
    const { LlmClient } = await import('./client.js');
    const answers: (() => { usage: { inputTokens: number; outputTokens: number } })[] = [
      () => {
        throw new LlmError('cut off mid-stream', {
          retryable: true,
          usage: { inputTokens: 50, outputTokens: 7 },
        });
      },
      () => ({ usage: { inputTokens: 60, outputTokens: 9 } }),
      () => {
        throw new LlmError('model refused', { usage: { inputTokens: 70, outputTokens: 1 } });
      },
    ];
    const provider = {
      name: 'p',
      type: 'openai' as const,
      model: 'm',
      constrainedDecoding: false,
      complete: async () => ({
        text: 'x',
        toolCalls: [],
        stopReason: 'stop' as const,
        model: 'm',
        ...answers.shift()!(),
      }),
      stream: async function* () {},
    };
    const meter = new UsageMeter();
    const client = new LlmClient(provider, {
      meter,
      prices: { 'p/m': { inputPerMTok: 1, outputPerMTok: 1 } },
      retry: { ...DEFAULT_RETRY_POLICY, baseDelayMs: 1, maxDelayMs: 1 },
    });
    const account = { run: 'r', step: 's' };
    const ok = await client.complete({ messages: [{ role: 'user', content: 'a' }] }, { account });
    expect(ok.usage).toEqual({ inputTokens: 60, outputTokens: 9 });
    await expect(
      client.complete({ messages: [{ role: 'user', content: 'b' }] }, { account }),
    ).rejects.toThrow(/model refused/);
    expect(meter.forStep('r', 's')).toMatchObject({ calls: 3, inputTokens: 180, outputTokens: 17 });
    expect(meter.forStep('r', 's').costUsd).toBeCloseTo(197 / 1_000_000, 12);
  });
});
