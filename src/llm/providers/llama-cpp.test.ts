import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { LlamaCppProviderConfig } from '../../config/llm.js';
import { errorMessage } from '../../contracts/errors.js';
import { LlmClient } from '../client.js';
import { LlmCancelledError } from '../errors.js';
import { writeTinyLlamaGguf } from '../testing/gguf.js';
import type { StreamEvent } from '../types.js';
import { LlamaCppProvider, loadNodeLlamaCpp } from './llama-cpp.js';

// Enums, booleans and bounded arrays: a random-weight model cannot run on forever inside them.
const Verdict = z.object({
  kind: z.enum(['book', 'member', 'loan']),
  available: z.boolean(),
  tags: z.array(z.enum(['fiction', 'science', 'history'])).max(2),
});

let dir: string;
let provider: LlamaCppProvider;
/** Why llama.cpp cannot run here; tests skip with this message instead of passing. */
let unavailable: string | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pa-llama-'));
  const modelPath = join(dir, 'tiny.gguf');
  await writeTinyLlamaGguf(modelPath, { seed: 7 });
  try {
    const mod = await loadNodeLlamaCpp();
    // Same options as the provider: prebuilt binaries only.
    const llama = await mod.getLlama({ gpu: false, build: 'never', progressLogs: false, logLevel: 'error' });
    await llama.dispose();
  } catch (err) {
    unavailable = `node-llama-cpp cannot load here: ${errorMessage(err)}`;
    console.warn(`SKIPPING llama-cpp tests: ${unavailable}`);
  }
  provider = new LlamaCppProvider(
    'local',
    LlamaCppProviderConfig.parse({
      type: 'llama-cpp',
      modelPath,
      contextSize: 512,
      maxTokens: 96,
      threads: 1,
    }),
  );
});

afterAll(async () => {
  await provider?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('llama-cpp provider (tiny random GGUF written by the test)', () => {
  it('grammar-constrained structured output validates against the zod schema, first time', async (ctx) => {
    if (unavailable) ctx.skip(unavailable);
    const client = new LlmClient(provider, { repairAttempts: 0 });
    const r = await client.structured(Verdict, {
      messages: [{ role: 'user', content: 'Classify: Dune, a novel.' }],
    });
    expect(Verdict.safeParse(r.value).success).toBe(true);
    expect(r.attempts).toBe(1);
    expect(r.usage.inputTokens).toBeGreaterThan(0);
    expect(r.usage.outputTokens).toBeGreaterThan(0);
    expect(provider.constrainedDecoding).toBe(true);
    // Greedy decoding of a fixed model is deterministic.
    const again = await client.structured(Verdict, {
      messages: [{ role: 'user', content: 'Classify: Dune, a novel.' }],
    });
    expect(again.value).toEqual(r.value);
  });

  it('streams the constrained JSON as text deltas', async (ctx) => {
    if (unavailable) ctx.skip(unavailable);
    const events: StreamEvent[] = [];
    for await (const ev of provider.stream({
      messages: [{ role: 'user', content: 'Stream it.' }],
      responseFormat: {
        type: 'json_schema',
        name: 'verdict',
        schema: z.toJSONSchema(Verdict) as Record<string, unknown>,
      },
    })) {
      events.push(ev);
    }
    const deltas = events.flatMap((e) => (e.type === 'text' ? [e.delta] : []));
    const done = events.at(-1);
    expect(done?.type).toBe('done');
    if (done?.type !== 'done') return;
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe(done.result.json);
    expect(Verdict.safeParse(JSON.parse(done.result.json!)).success).toBe(true);
  });

  it('tool calls are grammar-forced to one of the offered tools with schema-shaped arguments', async (ctx) => {
    if (unavailable) ctx.skip(unavailable);
    const r = await provider.complete({
      messages: [{ role: 'user', content: 'Look up the book.' }],
      tools: [
        {
          name: 'find_book',
          parameters: {
            type: 'object',
            properties: { shelf: { enum: ['A', 'B'] }, onLoan: { type: 'boolean' } },
          },
        },
        { name: 'list_members', parameters: { type: 'object', properties: { active: { type: 'boolean' } } } },
      ],
    });
    expect(r.toolCalls).toHaveLength(1);
    const call = r.toolCalls[0]!;
    expect(['find_book', 'list_members']).toContain(call.name);
    const argsSchema =
      call.name === 'find_book'
        ? z.strictObject({ shelf: z.enum(['A', 'B']), onLoan: z.boolean() })
        : z.strictObject({ active: z.boolean() });
    expect(argsSchema.safeParse(call.arguments).success).toBe(true);
    expect(r.stopReason).toBe('tool_calls');
  });

  it('an aborted signal cancels generation', async (ctx) => {
    if (unavailable) ctx.skip(unavailable);
    const ac = new AbortController();
    ac.abort();
    const err = await provider
      .complete({ messages: [{ role: 'user', content: 'x' }] }, { signal: ac.signal })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LlmCancelledError);
  });

  it('a missing model file is a clear LlmError naming the path', async (ctx) => {
    if (unavailable) ctx.skip(unavailable);
    const missing = new LlamaCppProvider(
      'missing',
      LlamaCppProviderConfig.parse({ type: 'llama-cpp', modelPath: join(dir, 'nope.gguf') }),
    );
    await expect(missing.complete({ messages: [{ role: 'user', content: 'x' }] })).rejects.toThrow(
      /nope\.gguf/,
    );
  });
});
