import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { errorMessage } from '../contracts/errors.js';
import { LlmCancelledError, LlmError, LlmTimeoutError } from './errors.js';
import { redactSecrets } from './redact.js';
import { isRetryableStatus, parseRetryAfter } from './retry.js';
import type { Usage } from './types.js';

/** How much of an upstream error body goes into our error message. */
const ERROR_BODY_LIMIT = 600;

export interface HttpTarget {
  /** e.g. `openai` — prefixes error messages. */
  label: string;
  baseUrl: string;
  headers: Record<string, string>;
  timeoutMs: number;
  /** Redacted from every error message built here. */
  secrets: readonly string[];
  /** Query parameters added to every URL (Azure's `api-version`). */
  query?: Record<string, string>;
}

/** One request's signal: the caller's, plus our per-attempt timeout. */
export interface RequestSignal {
  signal: AbortSignal;
  /** Maps an error thrown by fetch or a body read to cancellation, timeout or a redacted `LlmError`. */
  translate(err: unknown): Error;
}

export function requestSignal(target: HttpTarget, caller: AbortSignal | undefined): RequestSignal {
  const timeout = AbortSignal.timeout(target.timeoutMs);
  const signal = caller ? AbortSignal.any([caller, timeout]) : timeout;
  return {
    signal,
    translate(err: unknown): Error {
      if (err instanceof LlmError || err instanceof LlmCancelledError) return err;
      if (caller?.aborted) return new LlmCancelledError();
      if (timeout.aborted) return new LlmTimeoutError(target.timeoutMs);
      // Network failures (refused, reset) are worth retrying; fetch reports them as TypeError.
      return new LlmError(`${target.label}: ${redactSecrets(describe(err), target.secrets)}`, {
        retryable: true,
      });
    },
  };
}

function describe(err: unknown): string {
  const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return `${errorMessage(err)}${cause}`;
}

function joinUrl(target: HttpTarget, path: string): string {
  const url = new URL(`${target.baseUrl.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`);
  for (const [k, v] of Object.entries(target.query ?? {})) url.searchParams.set(k, v);
  return url.toString();
}

/** POSTs JSON; resolves only for 2xx. Other statuses become `LlmError` with a redacted body excerpt. */
export async function postJson(
  target: HttpTarget,
  path: string,
  body: unknown,
  rs: RequestSignal,
): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(joinUrl(target, path), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...target.headers },
      body: JSON.stringify(body),
      signal: rs.signal,
    });
  } catch (err) {
    throw rs.translate(err);
  }
  if (res.ok) return res;
  let text = '';
  try {
    text = await res.text();
  } catch {
    // The status alone is enough to report.
  }
  const excerpt = redactSecrets(text.slice(0, ERROR_BODY_LIMIT), target.secrets);
  throw new LlmError(`${target.label}: HTTP ${res.status}${excerpt ? `: ${excerpt}` : ''}`, {
    status: res.status,
    retryable: isRetryableStatus(res.status),
    retryAfterMs: parseRetryAfter(res.headers),
  });
}

export async function readJson(target: HttpTarget, res: Response, rs: RequestSignal): Promise<unknown> {
  let text: string;
  try {
    text = await res.text();
  } catch (err) {
    throw rs.translate(err);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new LlmError(
      `${target.label}: response is not JSON: ${redactSecrets(text.slice(0, ERROR_BODY_LIMIT), target.secrets)}`,
      { retryable: true },
    );
  }
}

async function* chunks(res: Response, rs: RequestSignal): AsyncGenerator<string> {
  if (!res.body) return;
  const decoder = new TextDecoder();
  const reader = res.body.getReader();
  try {
    while (true) {
      let r: Awaited<ReturnType<typeof reader.read>>;
      try {
        r = await reader.read();
      } catch (err) {
        throw rs.translate(err);
      }
      if (r.done) break;
      yield decoder.decode(r.value, { stream: true });
    }
    const tail = decoder.decode();
    if (tail) yield tail;
  } finally {
    // Stops the download when the consumer leaves early.
    reader.cancel().catch(() => {});
  }
}

/** Server-sent events (WHATWG framing), parsed by eventsource-parser. */
export async function* sseEvents(res: Response, rs: RequestSignal): AsyncGenerator<EventSourceMessage> {
  const queue: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (e) => queue.push(e) });
  for await (const chunk of chunks(res, rs)) {
    parser.feed(chunk);
    while (queue.length > 0) yield queue.shift()!;
  }
  parser.reset({ consume: true });
  while (queue.length > 0) yield queue.shift()!;
}

/** Newline-delimited JSON (Ollama's streaming format): one JSON value per line. */
export async function* ndjsonLines(
  target: HttpTarget,
  res: Response,
  rs: RequestSignal,
): AsyncGenerator<unknown> {
  let buffer = '';
  const parse = (line: string): unknown => {
    try {
      return JSON.parse(line);
    } catch {
      throw new LlmError(
        `${target.label}: bad NDJSON line: ${redactSecrets(line.slice(0, ERROR_BODY_LIMIT), target.secrets)}`,
      );
    }
  };
  for await (const chunk of chunks(res, rs)) {
    buffer += chunk;
    let nl = buffer.indexOf('\n');
    while (nl >= 0) {
      const line = buffer.slice(0, nl).trim();
      buffer = buffer.slice(nl + 1);
      if (line) yield parse(line);
      nl = buffer.indexOf('\n');
    }
  }
  if (buffer.trim()) yield parse(buffer.trim());
}

/**
 * Parses a JSON arguments string from a tool call; a model may send garbage, which is an error, not `{}`.
 * `usage`: what the answer cost, carried by the error so the failed call is still counted.
 */
export function parseToolArguments(
  label: string,
  raw: string | undefined | null,
  usage?: Usage,
): Record<string, unknown> {
  if (raw === undefined || raw === null || raw.trim() === '') return {};
  try {
    const value: unknown = JSON.parse(raw);
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new LlmError(`${label}: tool call arguments are not a JSON object: ${raw.slice(0, 200)}`, {
    ...(usage ? { usage } : {}),
  });
}
