import { describe, expect, it } from 'vitest';
import { OpenAiProviderConfig } from '../../config/llm.js';
import { LlmClient } from '../client.js';
import { chunked, hang, json, sse, startFakeServer } from '../testing/fake-server.js';
import { Book, providerWireSuite } from '../testing/provider-suite.js';
import { OpenAiProvider } from './openai.js';

const KEY = 'sk-test-openai-0123456789abcdef';

// biome-ignore lint/suspicious/noExplicitAny: request bodies are arbitrary JSON read in assertions.
type Body = any;

const usage = (u: { inputTokens: number; outputTokens: number }) => ({
  prompt_tokens: u.inputTokens,
  completion_tokens: u.outputTokens,
  total_tokens: u.inputTokens + u.outputTokens,
});
const completion = (
  message: Record<string, unknown>,
  finish: string,
  u: { inputTokens: number; outputTokens: number },
) => ({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1,
  model: 'gpt-test',
  choices: [{ index: 0, message: { role: 'assistant', ...message }, finish_reason: finish }],
  usage: usage(u),
});
const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
  id: 'chatcmpl-1',
  object: 'chat.completion.chunk',
  model: 'gpt-test',
  choices: [{ index: 0, delta, finish_reason: finish }],
});

function make(baseUrl: string, extra: Record<string, unknown> = {}): OpenAiProvider {
  const cfg = OpenAiProviderConfig.parse({
    type: 'openai',
    baseUrl: `${baseUrl}/v1`,
    model: 'gpt-test',
    ...extra,
  });
  return new OpenAiProvider('oa', cfg, KEY);
}

providerWireSuite({
  label: 'openai',
  path: '/v1/chat/completions',
  apiKey: KEY,
  make,
  checkAuth: (h) => {
    expect(h.authorization).toBe(`Bearer ${KEY}`);
    expect(h['x-api-key']).toBeUndefined();
  },
  text: (text, u) => json(200, completion({ content: text }, 'stop', u)),
  structured: (text, u) => json(200, completion({ content: text }, 'stop', u)),
  toolCall: (c, u) =>
    json(
      200,
      completion(
        {
          content: null,
          tool_calls: [
            { id: c.id, type: 'function', function: { name: c.name, arguments: JSON.stringify(c.args) } },
          ],
        },
        'tool_calls',
        u,
      ),
    ),
  stream: (deltas, u) =>
    chunked('text/event-stream', [
      ...sse([
        { data: chunk({ role: 'assistant', content: '' }) },
        ...deltas.map((d) => ({ data: chunk({ content: d }) })),
      ]),
      ...sse([
        { data: chunk({}, 'stop') },
        { data: { ...chunk({}), choices: [], usage: usage(u) } },
        { data: '[DONE]' },
      ]),
    ]),
  streamThenHang: (first) => async (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(sse([{ data: chunk({ content: first }) }])[0]);
  },
  error: (status, message, headers) =>
    json(status, { error: { message, type: 'invalid_request_error', code: null } }, headers),
  checkStructuredRequest: (b: Body, name) => {
    expect(b.model).toBe('gpt-test');
    expect(b.response_format.type).toBe('json_schema');
    expect(b.response_format.json_schema.name).toBe(name);
    expect(b.response_format.json_schema.strict).toBe(true);
    expect(b.response_format.json_schema.schema).toMatchObject({
      type: 'object',
      additionalProperties: false,
      required: ['title', 'isbn', 'copies'],
    });
    expect(b.messages).toEqual([{ role: 'user', content: 'Describe the book Dune.' }]);
  },
  checkToolRequest: (b: Body) => {
    expect(b.tools).toEqual([
      {
        type: 'function',
        function: {
          name: 'find_book',
          description: 'Look a book up by ISBN',
          parameters: { type: 'object', properties: { isbn: { type: 'string' } }, required: ['isbn'] },
        },
      },
    ]);
    expect(b.tool_choice).toBe('auto');
  },
  checkStreamRequest: (b: Body) => {
    expect(b.stream).toBe(true);
    expect(b.stream_options).toEqual({ include_usage: true });
  },
  feedbackIn: (b: Body) => {
    const last = b.messages.at(-1);
    expect(last.role).toBe('user');
    expect(b.messages.at(-2).role).toBe('assistant');
    return last.content;
  },
  retryAfter: () => '1',
});

describe('openai specifics', () => {
  it('json_object fallback: JSON mode with the schema in the system prompt', async () => {
    const server = await startFakeServer();
    try {
      const p = make(server.url, { structuredOutput: 'json_object' });
      server.enqueue(
        json(
          200,
          completion({ content: '{"title":"A","isbn":"1234567890123","copies":0}' }, 'stop', {
            inputTokens: 1,
            outputTokens: 1,
          }),
        ),
      );
      const r = await new LlmClient(p).structured(Book, { messages: [{ role: 'user', content: 'x' }] });
      expect(r.value.title).toBe('A');
      const body = server.requests[0]!.body as Body;
      expect(body.response_format).toEqual({ type: 'json_object' });
      expect(body.messages[0].role).toBe('system');
      expect(body.messages[0].content).toContain('"isbn"');
      expect(p.constrainedDecoding).toBe(false);
    } finally {
      await server.close();
    }
  });

  it('Azure style: api-key header and api-version query; tool results round-trip as role "tool"', async () => {
    const server = await startFakeServer();
    try {
      const p = make(server.url, { apiKeyHeader: 'api-key', query: { 'api-version': '2024-10-21' } });
      server.enqueue(json(200, completion({ content: 'done' }, 'stop', { inputTokens: 1, outputTokens: 1 })));
      await new LlmClient(p).complete({
        messages: [
          { role: 'user', content: 'find it' },
          {
            role: 'assistant',
            content: '',
            toolCalls: [{ id: 'c1', name: 'find_book', arguments: { isbn: '1' } }],
          },
          { role: 'tool', toolCallId: 'c1', name: 'find_book', content: '{"found":true}' },
        ],
      });
      const req = server.requests[0]!;
      expect(req.path).toBe('/v1/chat/completions?api-version=2024-10-21');
      expect(req.headers['api-key']).toBe(KEY);
      expect(req.headers.authorization).toBeUndefined();
      const body = req.body as Body;
      expect(body.messages[1]).toEqual({
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'c1', type: 'function', function: { name: 'find_book', arguments: '{"isbn":"1"}' } },
        ],
      });
      expect(body.messages[2]).toEqual({ role: 'tool', tool_call_id: 'c1', content: '{"found":true}' });
    } finally {
      await server.close();
    }
  });

  it('optional fields make the schema non-strict instead of inventing nulls', async () => {
    const server = await startFakeServer();
    try {
      const p = make(server.url);
      server.enqueue(
        json(200, completion({ content: '{"a":"x"}' }, 'stop', { inputTokens: 1, outputTokens: 1 })),
      );
      const { z } = await import('zod');
      await new LlmClient(p).structured(z.object({ a: z.string(), b: z.string().optional() }), {
        messages: [{ role: 'user', content: 'x' }],
      });
      expect((server.requests[0]!.body as Body).response_format.json_schema.strict).toBe(false);
    } finally {
      await server.close();
    }
  });

  it('a hung server hits the per-attempt timeout, which is retried', async () => {
    const server = await startFakeServer();
    try {
      const p = make(server.url, { timeoutMs: 150 });
      server.enqueue(
        hang(),
        json(200, completion({ content: 'late but fine' }, 'stop', { inputTokens: 1, outputTokens: 1 })),
      );
      const r = await new LlmClient(p, {
        retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 },
      }).complete({
        messages: [{ role: 'user', content: 'x' }],
      });
      expect(r.text).toBe('late but fine');
      expect(server.requests).toHaveLength(2);
    } finally {
      await server.close();
    }
  });
});
