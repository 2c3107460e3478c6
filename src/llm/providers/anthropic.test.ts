import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AnthropicProviderConfig } from '../../config/llm.js';
import { LlmClient } from '../client.js';
import { chunked, json, sse, startFakeServer } from '../testing/fake-server.js';
import { providerWireSuite } from '../testing/provider-suite.js';
import { AnthropicProvider } from './anthropic.js';

const KEY = 'sk-ant-test-0123456789abcdef';

// biome-ignore lint/suspicious/noExplicitAny: request bodies are arbitrary JSON read in assertions.
type Body = any;
type U = { inputTokens: number; outputTokens: number };

const message = (content: unknown[], stop: string, u: U) => ({
  id: 'msg_1',
  type: 'message',
  role: 'assistant',
  model: 'claude-test',
  content,
  stop_reason: stop,
  stop_sequence: null,
  usage: { input_tokens: u.inputTokens, output_tokens: u.outputTokens },
});

function make(baseUrl: string): AnthropicProvider {
  return new AnthropicProvider(
    'an',
    AnthropicProviderConfig.parse({ type: 'anthropic', baseUrl, model: 'claude-test' }),
    KEY,
  );
}

/** The documented event sequence of a streamed message. */
function streamEvents(
  blocks: ({ text: string[] } | { tool: { id: string; name: string; json: string[] } })[],
  u: U,
) {
  const events: { event: string; data: unknown }[] = [
    {
      event: 'message_start',
      data: {
        type: 'message_start',
        message: { ...message([], '', { inputTokens: u.inputTokens, outputTokens: 1 }), stop_reason: null },
      },
    },
    { event: 'ping', data: { type: 'ping' } },
  ];
  blocks.forEach((b, index) => {
    if ('text' in b) {
      events.push({
        event: 'content_block_start',
        data: { type: 'content_block_start', index, content_block: { type: 'text', text: '' } },
      });
      for (const t of b.text) {
        events.push({
          event: 'content_block_delta',
          data: { type: 'content_block_delta', index, delta: { type: 'text_delta', text: t } },
        });
      }
    } else {
      events.push({
        event: 'content_block_start',
        data: {
          type: 'content_block_start',
          index,
          content_block: { type: 'tool_use', id: b.tool.id, name: b.tool.name, input: {} },
        },
      });
      for (const j of b.tool.json) {
        events.push({
          event: 'content_block_delta',
          data: { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: j } },
        });
      }
    }
    events.push({ event: 'content_block_stop', data: { type: 'content_block_stop', index } });
  });
  const stop = blocks.some((b) => 'tool' in b) ? 'tool_use' : 'end_turn';
  events.push(
    {
      event: 'message_delta',
      data: {
        type: 'message_delta',
        delta: { stop_reason: stop, stop_sequence: null },
        usage: { output_tokens: u.outputTokens },
      },
    },
    { event: 'message_stop', data: { type: 'message_stop' } },
  );
  return sse(events);
}

providerWireSuite({
  label: 'anthropic',
  path: '/v1/messages',
  apiKey: KEY,
  make,
  checkAuth: (h) => {
    expect(h['x-api-key']).toBe(KEY);
    expect(h['anthropic-version']).toBe('2023-06-01');
    expect(h.authorization).toBeUndefined();
  },
  text: (text, u) => json(200, message([{ type: 'text', text }], 'end_turn', u)),
  // Structured output arrives as the input of the forced tool. Malformed "JSON" cannot be a tool input,
  // so the test sends it the way a model that ignores the forced tool would: as text.
  structured: (text, u) => (req, res) => {
    const name = (req.body as Body).tool_choice.name as string;
    let input: unknown;
    try {
      input = JSON.parse(text);
    } catch {
      return json(200, message([{ type: 'text', text }], 'end_turn', u))(req, res);
    }
    return json(200, message([{ type: 'tool_use', id: `toolu_${Date.now()}`, name, input }], 'tool_use', u))(
      req,
      res,
    );
  },
  toolCall: (c, u) =>
    json(200, message([{ type: 'tool_use', id: c.id, name: c.name, input: c.args }], 'tool_use', u)),
  stream: (deltas, u) => chunked('text/event-stream', streamEvents([{ text: deltas }], u)),
  streamThenHang: (first) => async (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    for (const part of streamEvents([{ text: [first] }], { inputTokens: 1, outputTokens: 1 }).slice(0, 4))
      res.write(part);
  },
  error: (status, msg, headers) =>
    json(
      status,
      { type: 'error', error: { type: status === 429 ? 'rate_limit_error' : 'api_error', message: msg } },
      headers,
    ),
  checkStructuredRequest: (b: Body, name) => {
    expect(b.model).toBe('claude-test');
    expect(b.max_tokens).toBe(4096);
    expect(b.tool_choice).toEqual({ type: 'tool', name });
    expect(b.tools).toHaveLength(1);
    expect(b.tools[0].name).toBe(name);
    expect(b.tools[0].input_schema).toMatchObject({ type: 'object', required: ['title', 'isbn', 'copies'] });
    expect(b.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Describe the book Dune.' }] },
    ]);
  },
  checkToolRequest: (b: Body) => {
    expect(b.tools).toEqual([
      {
        name: 'find_book',
        description: 'Look a book up by ISBN',
        input_schema: { type: 'object', properties: { isbn: { type: 'string' } }, required: ['isbn'] },
      },
    ]);
    expect(b.tool_choice).toEqual({ type: 'auto' });
  },
  checkStreamRequest: (b: Body) => expect(b.stream).toBe(true),
  feedbackIn: (b: Body) => {
    const last = b.messages.at(-1);
    expect(last.role).toBe('user');
    const prev = b.messages.at(-2);
    expect(prev.role).toBe('assistant');
    const toolUse = prev.content.find((c: Body) => c.type === 'tool_use');
    const result = last.content.find((c: Body) => c.type === 'tool_result');
    if (toolUse) {
      // Feedback on a forced-tool answer must be that tool_use's result, flagged as an error.
      expect(result.tool_use_id).toBe(toolUse.id);
      expect(result.is_error).toBe(true);
      return result.content;
    }
    return last.content.map((c: Body) => c.text).join('\n');
  },
  // An HTTP-date one to two seconds ahead (the header has one-second resolution).
  retryAfter: () => new Date(Math.ceil((Date.now() + 1000) / 1000) * 1000).toUTCString(),
});

describe('anthropic specifics', () => {
  it('streamed structured output: the forced tool input arrives as input_json_delta pieces', async () => {
    const server = await startFakeServer();
    try {
      const p = make(server.url);
      server.enqueue(
        chunked(
          'text/event-stream',
          streamEvents([{ tool: { id: 'toolu_1', name: 'answer', json: ['{"n": ', '4', '2}'] } }], {
            inputTokens: 7,
            outputTokens: 4,
          }),
        ),
      );
      let done: unknown;
      for await (const ev of new LlmClient(p).stream({
        messages: [{ role: 'user', content: 'x' }],
        responseFormat: {
          type: 'json_schema',
          name: 'answer',
          schema: { type: 'object', properties: { n: { type: 'number' } } },
        },
      })) {
        if (ev.type === 'tool_call') throw new Error('the forced answer tool is not a caller tool call');
        if (ev.type === 'done') done = ev.result;
      }
      expect(done).toMatchObject({
        json: '{"n":42}',
        usage: { inputTokens: 7, outputTokens: 4 },
        stopReason: 'tool_calls',
      });
    } finally {
      await server.close();
    }
  });

  it('a non-object schema is wrapped in { value } for the tool and unwrapped in the answer', async () => {
    const server = await startFakeServer();
    try {
      const p = make(server.url);
      server.enqueue(
        json(
          200,
          message([{ type: 'tool_use', id: 't', name: 'answer', input: { value: ['a', 'b'] } }], 'tool_use', {
            inputTokens: 1,
            outputTokens: 1,
          }),
        ),
      );
      const r = await new LlmClient(p).structured(z.array(z.string()), {
        messages: [{ role: 'user', content: 'x' }],
      });
      expect(r.value).toEqual(['a', 'b']);
      expect((server.requests[0]!.body as Body).tools[0].input_schema).toMatchObject({
        type: 'object',
        required: ['value'],
      });
    } finally {
      await server.close();
    }
  });

  it('an error event inside the stream fails the call with the redacted message', async () => {
    const server = await startFakeServer();
    try {
      const p = make(server.url);
      server.enqueue(
        chunked(
          'text/event-stream',
          sse([
            {
              event: 'error',
              data: { type: 'error', error: { type: 'invalid_request_error', message: `bad ${KEY}` } },
            },
          ]),
        ),
      );
      const err = await (async () => {
        for await (const _ of new LlmClient(p).stream({ messages: [{ role: 'user', content: 'x' }] })) {
          // drain
        }
      })().catch((e: unknown) => e as Error);
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toContain('invalid_request_error');
      expect((err as Error).message).not.toContain(KEY);
    } finally {
      await server.close();
    }
  });
});
