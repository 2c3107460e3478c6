/**
 * The wire-level tests every HTTP provider must pass, run against a local server that speaks that
 * provider's documented format. Each provider's test file supplies a `WireAdapter` describing its format.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { UsageMeter } from '../accounting.js';
import { LlmClient } from '../client.js';
import { LlmCancelledError, LlmError, LlmOutputInvalidError } from '../errors.js';
import type { RetryInfo } from '../retry.js';
import type { LlmProvider, StreamEvent, Usage } from '../types.js';
import { type FakeServer, type Handler, startFakeServer } from './fake-server.js';

export interface WireAdapter {
  label: string;
  /** Request path every call must use. */
  path: string;
  apiKey: string;
  make(baseUrl: string): LlmProvider;
  /** Asserts the key travelled in this provider's header (and only there). */
  checkAuth(headers: IncomingHttpHeaders): void;
  text(text: string, usage: Usage): Handler;
  /** The reply to a `json_schema` request carrying `jsonText` as the answer. */
  structured(jsonText: string, usage: Usage): Handler;
  toolCall(call: { id: string; name: string; args: Record<string, unknown> }, usage: Usage): Handler;
  stream(deltas: string[], usage: Usage): Handler;
  /** A stream that sends `first` and then never finishes. */
  streamThenHang(first: string): Handler;
  error(status: number, message: string, headers?: Record<string, string>): Handler;
  /** Asserts how a structured request carries the schema (response_format, forced tool, format). */
  checkStructuredRequest(body: unknown, schemaName: string): void;
  checkToolRequest(body: unknown): void;
  checkStreamRequest(body: unknown): void;
  /** The repair feedback the client sent back in a follow-up request. */
  feedbackIn(body: unknown): string;
  /** A Retry-After header value meaning "about one second" (seconds or an HTTP-date). */
  retryAfter(): string;
}

export const Book = z.object({
  title: z.string().min(1),
  isbn: z.string().regex(/^\d{13}$/),
  copies: z.number().int().min(0),
});

const FAST_RETRY = { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 5_000 };

export function providerWireSuite(adapter: WireAdapter): void {
  describe(`${adapter.label} wire format`, () => {
    let server: FakeServer;
    let provider: LlmProvider;
    let retries: RetryInfo[];
    let meter: UsageMeter;
    let client: LlmClient;

    beforeEach(async () => {
      server = await startFakeServer();
      provider = adapter.make(server.url);
      retries = [];
      meter = new UsageMeter();
      client = new LlmClient(provider, {
        retry: FAST_RETRY,
        meter,
        prices: { [`${provider.name}/${provider.model}`]: { inputPerMTok: 2, outputPerMTok: 8 } },
        onRetry: (r) => retries.push(r),
      });
    });
    afterEach(async () => {
      await provider.close?.();
      await server.close();
    });

    const ask = { messages: [{ role: 'user' as const, content: 'Describe the book Dune.' }] };

    it('structured output: schema in the request, key in the right header, value, usage and cost', async () => {
      const answer = { title: 'Dune', isbn: '9780441013593', copies: 3 };
      server.enqueue(adapter.structured(JSON.stringify(answer), { inputTokens: 120, outputTokens: 30 }));
      const r = await client.structured(
        Book,
        { ...ask, schemaName: 'book' },
        { account: { run: 'r1', step: 's1' } },
      );
      expect(r.value).toEqual(answer);
      expect(r.attempts).toBe(1);
      expect(r.usage).toEqual({ inputTokens: 120, outputTokens: 30 });
      expect(r.costUsd).toBeCloseTo((120 * 2 + 30 * 8) / 1e6, 12);
      expect(server.requests).toHaveLength(1);
      const req = server.requests[0]!;
      expect(req.method).toBe('POST');
      expect(req.path.split('?')[0]).toBe(adapter.path);
      expect(req.headers['content-type']).toMatch(/application\/json/);
      adapter.checkAuth(req.headers);
      adapter.checkStructuredRequest(req.body, 'book');
      expect(meter.forStep('r1', 's1')).toMatchObject({ calls: 1, inputTokens: 120, outputTokens: 30 });
    });

    it('streaming: deltas arrive in order and the final result carries the usage', async () => {
      server.enqueue(adapter.stream(['Dune ', 'is a ', 'novel.'], { inputTokens: 11, outputTokens: 5 }));
      const events: StreamEvent[] = [];
      for await (const ev of client.stream(ask)) events.push(ev);
      const deltas = events.flatMap((e) => (e.type === 'text' ? [e.delta] : []));
      expect(deltas.join('')).toBe('Dune is a novel.');
      expect(deltas.length).toBeGreaterThanOrEqual(3);
      const done = events.at(-1);
      expect(done?.type).toBe('done');
      if (done?.type !== 'done') return;
      expect(done.result.text).toBe('Dune is a novel.');
      expect(done.result.usage).toEqual({ inputTokens: 11, outputTokens: 5 });
      adapter.checkStreamRequest(server.requests[0]!.body);
      expect(meter.total()).toMatchObject({ calls: 1, inputTokens: 11, outputTokens: 5 });
    });

    it('tool call: tools go out in the wire shape, the call comes back parsed', async () => {
      server.enqueue(
        adapter.toolCall(
          { id: 'call_42', name: 'find_book', args: { isbn: '9780441013593' } },
          { inputTokens: 50, outputTokens: 9 },
        ),
      );
      const r = await client.complete({
        ...ask,
        tools: [
          {
            name: 'find_book',
            description: 'Look a book up by ISBN',
            parameters: { type: 'object', properties: { isbn: { type: 'string' } }, required: ['isbn'] },
          },
        ],
      });
      expect(r.toolCalls).toEqual([
        { id: expect.any(String), name: 'find_book', arguments: { isbn: '9780441013593' } },
      ]);
      expect(r.stopReason).toBe('tool_calls');
      adapter.checkToolRequest(server.requests[0]!.body);
    });

    it('429 with Retry-After: waits what the server asked, then succeeds', async () => {
      server.enqueue(adapter.error(429, 'rate limited', { 'retry-after': adapter.retryAfter() }));
      server.enqueue(adapter.text('ok', { inputTokens: 1, outputTokens: 1 }));
      const r = await client.complete(ask);
      expect(r.text).toBe('ok');
      expect(server.requests).toHaveLength(2);
      const waited = server.requests[1]!.at - server.requests[0]!.at;
      // Backoff alone would be <= 20 ms here; only the header explains a wait of about a second.
      expect(waited).toBeGreaterThanOrEqual(900);
      expect(retries).toHaveLength(1);
      expect(retries[0]!.delayMs).toBeGreaterThanOrEqual(900);
      expect(retries[0]!.error.status).toBe(429);
    });

    it('500 then success: retried once', async () => {
      server.enqueue(adapter.error(500, 'boom'));
      server.enqueue(adapter.text('recovered', { inputTokens: 2, outputTokens: 3 }));
      const r = await client.complete(ask);
      expect(r.text).toBe('recovered');
      expect(server.requests).toHaveLength(2);
      expect(retries.map((x) => x.error.status)).toEqual([500]);
      // Only the successful call is metered.
      expect(meter.total()).toMatchObject({ calls: 1, inputTokens: 2, outputTokens: 3 });
    });

    it('malformed JSON is repaired: the validation error goes back to the model', async () => {
      server.enqueue(
        adapter.structured('{"title": "Dune", "isbn": "97804410', { inputTokens: 10, outputTokens: 5 }),
      );
      server.enqueue(
        adapter.structured(JSON.stringify({ title: 'Dune', isbn: '9780441013593', copies: 1 }), {
          inputTokens: 20,
          outputTokens: 6,
        }),
      );
      const r = await client.structured(Book, ask);
      expect(r.attempts).toBe(2);
      expect(r.value.copies).toBe(1);
      expect(r.usage).toEqual({ inputTokens: 30, outputTokens: 11 });
      expect(server.requests).toHaveLength(2);
      expect(adapter.feedbackIn(server.requests[1]!.body)).toMatch(/not valid JSON/);
    });

    it('output that stays invalid fails with LlmOutputInvalidError after the repairs', async () => {
      const bad = JSON.stringify({ title: '', isbn: 'not-an-isbn', copies: -1 });
      for (let i = 0; i < 3; i++)
        server.enqueue(adapter.structured(bad, { inputTokens: 1, outputTokens: 1 }));
      const err = await client.structured(Book, ask).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LlmOutputInvalidError);
      const invalid = err as LlmOutputInvalidError;
      expect(invalid.code).toBe('LLM_OUTPUT_INVALID');
      expect(invalid.attempts).toHaveLength(3);
      expect(invalid.message).toMatch(/isbn/);
      expect(server.requests).toHaveLength(3);
      expect(adapter.feedbackIn(server.requests[2]!.body)).toMatch(/isbn/);
    });

    it('cancellation: an AbortSignal stops a pending call and a running stream', async () => {
      server.enqueue((_req, res) => {
        // Headers never sent: the call is pending until the client gives up.
        res.on('close', () => {});
      });
      const ac = new AbortController();
      const started = Date.now();
      setTimeout(() => ac.abort(), 100);
      const err = await client.complete(ask, { signal: ac.signal }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LlmCancelledError);
      expect((err as LlmCancelledError).code).toBe('CANCELLED');
      expect(Date.now() - started).toBeLessThan(2_000);

      server.enqueue(adapter.streamThenHang('first words'));
      const ac2 = new AbortController();
      const seen: string[] = [];
      const streamErr = await (async () => {
        for await (const ev of client.stream(ask, { signal: ac2.signal })) {
          if (ev.type === 'text') {
            seen.push(ev.delta);
            ac2.abort();
          }
        }
      })().catch((e: unknown) => e);
      expect(seen.join('')).toBe('first words');
      expect(streamErr).toBeInstanceOf(LlmCancelledError);
      expect(retries).toHaveLength(0);
    });

    it('the API key never appears in an error, even when the server echoes it', async () => {
      server.enqueue(adapter.error(401, `invalid api key: ${adapter.apiKey}`));
      const err = await client.complete(ask).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LlmError);
      const e = err as LlmError;
      expect(e.status).toBe(401);
      expect(e.code).toBe('LLM_FAILED');
      expect(e.message).toContain('[REDACTED]');
      for (const text of [e.message, String(e.stack), JSON.stringify(e), JSON.stringify(e.details ?? null)]) {
        expect(text).not.toContain(adapter.apiKey);
      }
      expect(server.requests).toHaveLength(1); // 401 is not retried
      adapter.checkAuth(server.requests[0]!.headers);

      // Retries that give up keep the redaction.
      for (let i = 0; i < 3; i++) server.enqueue(adapter.error(503, `overloaded for ${adapter.apiKey}`));
      const gaveUp = (await client.complete(ask).catch((x: unknown) => x)) as LlmError;
      expect(gaveUp.message).toMatch(/gave up after 3 attempts/);
      expect(gaveUp.message).not.toContain(adapter.apiKey);
      expect(String((gaveUp.cause as Error).message)).not.toContain(adapter.apiKey);
    });
  });
}
