import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { OpenAiProviderConfig } from '../../config/llm.js';
import { LlmClient } from '../client.js';
import { LlmCassetteMissError } from '../errors.js';
import { chunked, type FakeServer, json, sse, startFakeServer } from '../testing/fake-server.js';
import type { CompletionRequest, StreamEvent } from '../types.js';
import { OpenAiProvider } from './openai.js';
import { cassetteKey, ReplayProvider } from './replay.js';

const answer = (content: string, p: number, c: number) =>
  json(200, {
    model: 'gpt-test',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    usage: { prompt_tokens: p, completion_tokens: c },
  });

describe('replay provider', () => {
  let dir: string;
  let server: FakeServer;
  let inner: OpenAiProvider;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pa-cassette-'));
    server = await startFakeServer();
    inner = new OpenAiProvider(
      'oa',
      OpenAiProviderConfig.parse({ type: 'openai', baseUrl: `${server.url}/v1`, model: 'gpt-test' }),
      'sk-replay-secret-123456',
    );
  });
  afterEach(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  const Book = z.object({ title: z.string(), copies: z.number().int() });
  const req: CompletionRequest = {
    system: 'librarian',
    messages: [{ role: 'user', content: 'one book please' }],
  };

  it('record then replay gives identical results and usage, without calling the server again', async () => {
    const cassette = join(dir, 'run.json');
    server.enqueue(answer('{"title":"Dune","copies":2}', 31, 9), answer('plain text', 5, 2));
    server.enqueue(
      chunked('text/event-stream', [
        ...sse([
          { data: { choices: [{ index: 0, delta: { content: 'str' } }] } },
          { data: { choices: [{ index: 0, delta: { content: 'eamed' }, finish_reason: 'stop' }] } },
          { data: { choices: [], usage: { prompt_tokens: 4, completion_tokens: 2 } } },
          { data: '[DONE]' },
        ]),
      ]),
    );
    const recorder = new LlmClient(
      new ReplayProvider('recorded', { cassette, mode: 'record', inner, env: {} }),
    );
    const s1 = await recorder.structured(Book, req);
    const t1 = await recorder.complete(req);
    const e1: StreamEvent[] = [];
    for await (const e of recorder.stream({ messages: [{ role: 'user', content: 'stream' }] })) e1.push(e);
    expect(server.requests).toHaveLength(3);

    const file = JSON.parse(await readFile(cassette, 'utf8'));
    expect(file.version).toBe(1);
    expect(Object.keys(file.entries)).toHaveLength(3);
    expect(JSON.stringify(file)).not.toContain('sk-replay-secret');

    // Pure replay: no inner provider at all, CI set — every answer must come from the cassette.
    const player = new LlmClient(
      new ReplayProvider('recorded', {
        cassette,
        mode: 'replay',
        provider: 'openai',
        model: 'gpt-test',
        env: { CI: 'true' },
      }),
    );
    const s2 = await player.structured(Book, req);
    const t2 = await player.complete(req);
    const e2: StreamEvent[] = [];
    for await (const e of player.stream({ messages: [{ role: 'user', content: 'stream' }] })) e2.push(e);
    expect(server.requests).toHaveLength(3);

    expect(s2.value).toEqual(s1.value);
    expect(s2.usage).toEqual({ inputTokens: 31, outputTokens: 9 });
    expect(s2.usage).toEqual(s1.usage);
    expect(t2).toEqual(t1);
    expect(e2).toEqual(e1);
    expect(e2.flatMap((e) => (e.type === 'text' ? [e.delta] : []))).toEqual(['str', 'eamed']);
  });

  it('auto mode records a miss once, then replays', async () => {
    const cassette = join(dir, 'auto.json');
    server.enqueue(answer('first', 1, 1));
    const p = new ReplayProvider('auto', { cassette, mode: 'auto', inner, env: {} });
    const a = await p.complete(req);
    const b = await p.complete(req);
    expect(b).toEqual(a);
    expect(server.requests).toHaveLength(1);
  });

  it('a miss in CI throws, naming the key and the cassette path', async () => {
    const cassette = join(dir, 'ci.json');
    const p = new ReplayProvider('ci', { cassette, mode: 'auto', inner, env: { CI: '1' } });
    const err = await p.complete(req).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LlmCassetteMissError);
    const miss = err as LlmCassetteMissError;
    const key = cassetteKey('openai', 'gpt-test', 'complete', req);
    expect(miss.code).toBe('LLM_CASSETTE_MISS');
    expect(miss.key).toBe(key);
    expect(miss.message).toContain(key);
    expect(miss.message).toContain(cassette);
    expect(server.requests).toHaveLength(0);
  });

  it('keys are stable under key order and change with model, provider or request', () => {
    const a = cassetteKey('openai', 'm', 'complete', {
      messages: [{ role: 'user', content: 'x' }],
      maxTokens: 5,
    });
    const b = cassetteKey('openai', 'm', 'complete', {
      maxTokens: 5,
      messages: [{ content: 'x', role: 'user' }],
    });
    expect(a).toBe(b);
    expect(
      cassetteKey('openai', 'm2', 'complete', { messages: [{ role: 'user', content: 'x' }], maxTokens: 5 }),
    ).not.toBe(a);
    expect(
      cassetteKey('anthropic', 'm', 'complete', { messages: [{ role: 'user', content: 'x' }], maxTokens: 5 }),
    ).not.toBe(a);
    expect(
      cassetteKey('openai', 'm', 'stream', { messages: [{ role: 'user', content: 'x' }], maxTokens: 5 }),
    ).not.toBe(a);
  });
});
