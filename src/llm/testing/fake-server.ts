/** A scripted local HTTP server for provider tests: records each request, answers from a queue. */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body (undefined when empty or not JSON). */
  body: unknown;
  at: number;
}

export type Handler = (req: RecordedRequest, res: ServerResponse) => void | Promise<void>;

export interface FakeServer {
  url: string;
  requests: RecordedRequest[];
  /** Handlers for the next requests, in order. */
  enqueue(...handlers: Handler[]): void;
  close(): Promise<void>;
}

export async function startFakeServer(): Promise<FakeServer> {
  const requests: RecordedRequest[] = [];
  const queue: Handler[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = undefined;
      }
      const recorded = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body,
        at: Date.now(),
      };
      requests.push(recorded);
      const handler = queue.shift();
      if (!handler) {
        res.writeHead(418, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'no scripted response left' } }));
        return;
      }
      Promise.resolve(handler(recorded, res)).catch((err: unknown) => {
        res.destroy(err instanceof Error ? err : new Error(String(err)));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    enqueue: (...h) => queue.push(...h),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Handler {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
}

/** Writes `parts` one by one with a pause between, so the client sees real chunked streaming. */
export function chunked(contentType: string, parts: string[], pauseMs = 5): Handler {
  return async (_req, res) => {
    res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-cache' });
    for (const p of parts) {
      res.write(p);
      await new Promise((r) => setTimeout(r, pauseMs));
    }
    res.end();
  };
}

/** Never answers (until the client goes away): for cancellation tests. */
export function hang(): Handler {
  return (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(':\n\n');
  };
}

export function sse(events: { event?: string; data: unknown }[]): string[] {
  return events.map(
    (e) =>
      `${e.event ? `event: ${e.event}\n` : ''}data: ${typeof e.data === 'string' ? e.data : JSON.stringify(e.data)}\n\n`,
  );
}
