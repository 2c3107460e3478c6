import {
  Agent,
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ProxyTarget {
  version: string;
  port: number;
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
]);
const MAX_BODY_BYTES = 10 * 1024 * 1024;
/** Attempts per request when the upstream refuses or resets before answering (crash, restart, switch). */
const MAX_ATTEMPTS = 4;
const RETRY_DELAY_MS = 150;

function forwardHeaders(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name)) continue;
    out[name] = value;
  }
  return out;
}

/**
 * The environment's stable URL. Each request goes to whichever release is active when it starts;
 * a switch only changes that pointer, so requests in flight finish on the release they began on, and
 * `inflight(version)` lets the supervisor drain a release before stopping it. Request bodies are
 * buffered (up to 10 MiB) so a request the upstream dropped before answering can be sent again.
 */
export class ReverseProxy {
  #target: ProxyTarget | null = null;
  readonly #inflight = new Map<string, number>();
  readonly #agents = new Map<number, Agent>();
  readonly #server: Server;
  #served = 0;
  #failed = 0;

  constructor() {
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end('bad gateway');
      });
    });
    this.#server.keepAliveTimeout = 65_000;
  }

  listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, '127.0.0.1', () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
  }

  setTarget(target: ProxyTarget | null): void {
    this.#target = target;
  }

  get target(): ProxyTarget | null {
    return this.#target;
  }

  inflight(version: string): number {
    return this.#inflight.get(version) ?? 0;
  }

  stats(): { served: number; failed: number } {
    return { served: this.#served, failed: this.#failed };
  }

  /** Drops pooled connections to a port whose release has stopped. */
  forgetPort(port: number): void {
    this.#agents.get(port)?.destroy();
    this.#agents.delete(port);
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const agent of this.#agents.values()) agent.destroy();
    this.#agents.clear();
  }

  #agent(port: number): Agent {
    let agent = this.#agents.get(port);
    if (agent === undefined) {
      agent = new Agent({ keepAlive: true, maxSockets: 256 });
      this.#agents.set(port, agent);
    }
    return agent;
  }

  async #readBody(req: IncomingMessage): Promise<Buffer | null> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY_BYTES) return null;
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await this.#readBody(req);
    if (body === null) {
      res.writeHead(413, { 'content-type': 'text/plain' }).end('request body too large');
      return;
    }
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const target = this.#target;
      if (target === null) break;
      const outcome = await this.#forward(target, req, body, res);
      if (outcome === 'answered') {
        this.#served += 1;
        return;
      }
      if (outcome === 'broken') {
        this.#failed += 1;
        return;
      }
      await sleep(RETRY_DELAY_MS);
    }
    this.#failed += 1;
    if (!res.headersSent) {
      res.writeHead(this.#target === null ? 503 : 502, { 'content-type': 'text/plain' });
    }
    res.end(this.#target === null ? 'no release is active' : 'the release did not answer');
  }

  /** `answered`; `retry` when the upstream failed before any answer; `broken` when it failed mid-answer. */
  #forward(
    target: ProxyTarget,
    req: IncomingMessage,
    body: Buffer,
    res: ServerResponse,
  ): Promise<'answered' | 'retry' | 'broken'> {
    const version = target.version;
    this.#inflight.set(version, this.inflight(version) + 1);
    let done = false;
    return new Promise((resolve) => {
      const finish = (outcome: 'answered' | 'retry' | 'broken') => {
        if (done) return;
        done = true;
        this.#inflight.set(version, Math.max(0, this.inflight(version) - 1));
        resolve(outcome);
      };
      const headers = forwardHeaders(req.headers);
      headers['content-length'] = String(body.length);
      headers['x-forwarded-for'] = req.socket.remoteAddress ?? '127.0.0.1';
      const upstream = request(
        {
          host: '127.0.0.1',
          port: target.port,
          method: req.method,
          path: req.url,
          headers,
          agent: this.#agent(target.port),
        },
        (upRes) => {
          const outHeaders = forwardHeaders(upRes.headers);
          outHeaders['x-powerauto-release'] = version;
          res.writeHead(upRes.statusCode ?? 502, outHeaders);
          upRes.pipe(res);
          upRes.once('end', () => finish('answered'));
          upRes.once('error', () => {
            res.destroy();
            finish('broken');
          });
          res.once('close', () => finish(upRes.complete ? 'answered' : 'broken'));
        },
      );
      upstream.once('error', () => {
        if (res.headersSent) {
          res.destroy();
          finish('broken');
        } else {
          finish('retry');
        }
      });
      upstream.end(body);
    });
  }
}
