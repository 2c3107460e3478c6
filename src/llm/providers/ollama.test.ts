import { describe, expect, it } from 'vitest';
import { OllamaProviderConfig } from '../../config/llm.js';
import { LlmClient } from '../client.js';
import { LlmError } from '../errors.js';
import { chunked, json, startFakeServer } from '../testing/fake-server.js';
import { providerWireSuite } from '../testing/provider-suite.js';
import { OllamaProvider } from './ollama.js';

// Plain Ollama has no auth; a key is for Ollama behind an authenticating proxy.
const KEY = 'ollama-proxy-key-0123456789';

// biome-ignore lint/suspicious/noExplicitAny: request bodies are arbitrary JSON read in assertions.
type Body = any;
type U = { inputTokens: number; outputTokens: number };

const final = (message: Record<string, unknown>, u: U, reason = 'stop') => ({
  model: 'llama3.2',
  created_at: '2025-01-01T00:00:00Z',
  message: { role: 'assistant', content: '', ...message },
  done: true,
  done_reason: reason,
  total_duration: 1,
  prompt_eval_count: u.inputTokens,
  eval_count: u.outputTokens,
});
const line = (v: unknown) => `${JSON.stringify(v)}\n`;
const partial = (content: string) => ({
  model: 'llama3.2',
  created_at: '2025-01-01T00:00:00Z',
  message: { role: 'assistant', content },
  done: false,
});

function make(baseUrl: string, extra: Record<string, unknown> = {}): OllamaProvider {
  return new OllamaProvider(
    'ol',
    OllamaProviderConfig.parse({ type: 'ollama', baseUrl, model: 'llama3.2', ...extra }),
    KEY,
  );
}

providerWireSuite({
  label: 'ollama',
  path: '/api/chat',
  apiKey: KEY,
  make,
  checkAuth: (h) => expect(h.authorization).toBe(`Bearer ${KEY}`),
  text: (text, u) => json(200, final({ content: text }, u)),
  structured: (text, u) => json(200, final({ content: text }, u)),
  toolCall: (c, u) =>
    json(200, final({ tool_calls: [{ function: { name: c.name, arguments: c.args } }] }, u)),
  // NDJSON split mid-line on purpose: framing is by newline, not by chunk.
  stream: (deltas, u) => {
    const text = [...deltas.map((d) => line(partial(d))), line(final({}, u))].join('');
    const cut = Math.floor(text.length / 3);
    return chunked('application/x-ndjson', [
      text.slice(0, cut),
      text.slice(cut, 2 * cut),
      text.slice(2 * cut),
    ]);
  },
  streamThenHang: (first) => async (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    res.write(line(partial(first)));
  },
  error: (status, msg, headers) => json(status, { error: msg }, headers),
  checkStructuredRequest: (b: Body) => {
    expect(b.model).toBe('llama3.2');
    expect(b.stream).toBe(false);
    expect(b.format).toMatchObject({ type: 'object', required: ['title', 'isbn', 'copies'] });
    expect(b.messages).toEqual([{ role: 'user', content: 'Describe the book Dune.' }]);
    expect(b.options.num_predict).toBe(4096);
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
  },
  checkStreamRequest: (b: Body) => expect(b.stream).toBe(true),
  feedbackIn: (b: Body) => {
    const last = b.messages.at(-1);
    expect(last.role).toBe('user');
    expect(b.messages.at(-2).role).toBe('assistant');
    return last.content;
  },
  retryAfter: () => '1',
});

describe('ollama specifics', () => {
  it('an error line inside the NDJSON stream fails the call', async () => {
    const server = await startFakeServer();
    try {
      server.enqueue(chunked('application/x-ndjson', [line(partial('a')), line({ error: 'model crashed' })]));
      const err = await (async () => {
        for await (const _ of new LlmClient(make(server.url)).stream({
          messages: [{ role: 'user', content: 'x' }],
        })) {
          // drain
        }
      })().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LlmError);
      expect((err as LlmError).message).toContain('model crashed');
    } finally {
      await server.close();
    }
  });

  it('tool results go back as role "tool" with tool_name; keep_alive is sent when configured', async () => {
    const server = await startFakeServer();
    try {
      server.enqueue(json(200, final({ content: 'ok' }, { inputTokens: 1, outputTokens: 1 })));
      await new LlmClient(make(server.url, { keepAlive: '5m' })).complete({
        system: 'be brief',
        messages: [
          { role: 'user', content: 'find it' },
          {
            role: 'assistant',
            content: '',
            toolCalls: [{ id: 'c', name: 'find_book', arguments: { isbn: '1' } }],
          },
          { role: 'tool', toolCallId: 'c', name: 'find_book', content: 'found' },
        ],
      });
      const b = server.requests[0]!.body as Body;
      expect(b.keep_alive).toBe('5m');
      expect(b.messages).toEqual([
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'find it' },
        {
          role: 'assistant',
          content: '',
          tool_calls: [{ function: { name: 'find_book', arguments: { isbn: '1' } } }],
        },
        { role: 'tool', content: 'found', tool_name: 'find_book' },
      ]);
    } finally {
      await server.close();
    }
  });
});
