// Files of the generated service that do not depend on the spec: its small runtime on node:http.

export function configTs(): string {
  return `export interface Config {
  host: string;
  port: number;
  /** When set, records are kept in this JSON file across restarts. */
  dataFile: string | undefined;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  shutdownTimeoutMs: number;
}

const LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const port = Number(env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(\`PORT must be an integer between 0 and 65535, got \${env.PORT}\`);
  }
  const level = env.LOG_LEVEL ?? 'info';
  return {
    host: env.HOST ?? '0.0.0.0',
    port,
    dataFile: env.DATA_FILE || undefined,
    logLevel: (LEVELS as readonly string[]).includes(level) ? (level as Config['logLevel']) : 'info',
    shutdownTimeoutMs: Number(env.SHUTDOWN_TIMEOUT_MS ?? 10_000),
  };
}
`;
}

export function loggerTs(): string {
  return `export type Level = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

const ORDER: Record<Level | 'silent', number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** One JSON object per line on stdout, ready for any log shipper. */
export function createLogger(
  level: Level | 'silent' = 'info',
  write: (line: string) => void = (line) => process.stdout.write(line),
): Logger {
  const log = (at: Level, msg: string, fields: Record<string, unknown> = {}) => {
    if (ORDER[at] < ORDER[level]) return;
    write(\`\${JSON.stringify({ time: new Date().toISOString(), level: at, msg, ...fields })}\\n\`);
  };
  return {
    debug: (msg, fields) => log('debug', msg, fields),
    info: (msg, fields) => log('info', msg, fields),
    warn: (msg, fields) => log('warn', msg, fields),
    error: (msg, fields) => log('error', msg, fields),
  };
}
`;
}

export function metricsTs(): string {
  return `/** Request metrics in the Prometheus text exposition format (version 0.0.4). */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface Series {
  labels: Record<string, string>;
  value: number;
}

interface HistogramSeries {
  labels: Record<string, string>;
  counts: number[];
  sum: number;
  count: number;
}

function escapeLabel(value: string): string {
  return value.replace(/\\\\/g, '\\\\\\\\').replace(/"/g, '\\\\"').replace(/\\n/g, '\\\\n');
}

function labelText(labels: Record<string, string>): string {
  const parts = Object.entries(labels).map(([k, v]) => \`\${k}="\${escapeLabel(v)}"\`);
  return parts.length > 0 ? \`{\${parts.join(',')}}\` : '';
}

function keyOf(labels: Record<string, string>): string {
  return JSON.stringify(labels);
}

export class Metrics {
  private readonly requests = new Map<string, Series>();
  private readonly errors = new Map<string, Series>();
  private readonly durations = new Map<string, HistogramSeries>();

  observe(method: string, route: string, status: number, seconds: number): void {
    const counted = { method, route, status: String(status) };
    const requests = this.requests.get(keyOf(counted)) ?? { labels: counted, value: 0 };
    requests.value += 1;
    this.requests.set(keyOf(counted), requests);
    if (status >= 500) {
      const labels = { method, route };
      const errors = this.errors.get(keyOf(labels)) ?? { labels, value: 0 };
      errors.value += 1;
      this.errors.set(keyOf(labels), errors);
    }
    const labels = { method, route };
    const histogram = this.durations.get(keyOf(labels)) ?? {
      labels,
      counts: BUCKETS.map(() => 0),
      sum: 0,
      count: 0,
    };
    BUCKETS.forEach((bound, i) => {
      if (seconds <= bound) histogram.counts[i] = (histogram.counts[i] ?? 0) + 1;
    });
    histogram.sum += seconds;
    histogram.count += 1;
    this.durations.set(keyOf(labels), histogram);
  }

  render(): string {
    const lines: string[] = [
      '# HELP http_requests_total HTTP requests answered, by route and status.',
      '# TYPE http_requests_total counter',
    ];
    for (const s of this.requests.values()) lines.push(\`http_requests_total\${labelText(s.labels)} \${s.value}\`);
    lines.push('# HELP http_request_errors_total HTTP requests that ended in a server error (5xx).');
    lines.push('# TYPE http_request_errors_total counter');
    for (const s of this.errors.values()) lines.push(\`http_request_errors_total\${labelText(s.labels)} \${s.value}\`);
    lines.push('# HELP http_request_duration_seconds Time to answer HTTP requests.');
    lines.push('# TYPE http_request_duration_seconds histogram');
    for (const h of this.durations.values()) {
      BUCKETS.forEach((bound, i) => {
        const labels = labelText({ ...h.labels, le: String(bound) });
        lines.push(\`http_request_duration_seconds_bucket\${labels} \${h.counts[i]}\`);
      });
      lines.push(\`http_request_duration_seconds_bucket\${labelText({ ...h.labels, le: '+Inf' })} \${h.count}\`);
      lines.push(\`http_request_duration_seconds_sum\${labelText(h.labels)} \${h.sum}\`);
      lines.push(\`http_request_duration_seconds_count\${labelText(h.labels)} \${h.count}\`);
    }
    return \`\${lines.join('\\n')}\\n\`;
  }
}
`;
}

export function httpTs(): string {
  return `import type { IncomingMessage, ServerResponse } from 'node:http';

/** An error with an HTTP status; the app turns it into a JSON problem answer. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

const MAX_BODY_BYTES = 1024 * 1024;

export async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'PAYLOAD_TOO_LARGE', 'request body exceeds 1 MiB');
    chunks.push(buf);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') throw new HttpError(400, 'BAD_REQUEST', 'request body must be a JSON object');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError(400, 'BAD_REQUEST', 'request body is not valid JSON');
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendText(res: ServerResponse, status: number, body: string, contentType: string): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
`;
}

export function routerTs(): string {
  return `import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError } from './http.js';

export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
}

export interface Route {
  method: string;
  /** OpenAPI-style path, e.g. /books/{id}. */
  path: string;
  operationId: string;
  handler: (ctx: RouteContext) => Promise<void>;
}

export interface Match {
  route: Route;
  params: Record<string, string>;
}

function matchPath(pattern: string, pathname: string): Record<string, string> | null {
  const want = pattern.split('/').filter(Boolean);
  const got = pathname.split('/').filter(Boolean);
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (const [i, part] of want.entries()) {
    const value = got[i] ?? '';
    if (part.startsWith('{') && part.endsWith('}')) {
      try {
        params[part.slice(1, -1)] = decodeURIComponent(value);
      } catch {
        throw new HttpError(400, 'BAD_REQUEST', 'malformed path parameter');
      }
    } else if (part !== value) {
      return null;
    }
  }
  return params;
}

/** Finds the route for a request: 404 for an unknown path, 405 for a known path and another method. */
export function matchRoute(routes: Route[], method: string, pathname: string): Match {
  let pathKnown = false;
  for (const route of routes) {
    const params = matchPath(route.path, pathname);
    if (params === null) continue;
    pathKnown = true;
    if (route.method === method) return { route, params };
  }
  if (pathKnown) throw new HttpError(405, 'METHOD_NOT_ALLOWED', \`\${method} is not allowed on \${pathname}\`);
  throw new HttpError(404, 'NOT_FOUND', \`no route for \${pathname}\`);
}
`;
}

export function repositoryTs(): string {
  return `import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface Stored {
  id: string;
  createdAt: string;
  updatedAt: string;
}

/** What routes and rules need from storage; swap the in-memory one for a database here. */
export interface Repository<T> {
  list(filter?: (item: T & Stored) => boolean): (T & Stored)[];
  get(id: string): (T & Stored) | undefined;
  create(data: T): T & Stored;
  update(id: string, data: Partial<T>): (T & Stored) | undefined;
  delete(id: string): boolean;
  count(filter?: (item: T & Stored) => boolean): number;
}

export interface Persistence {
  load(collection: string): unknown[];
  save(collection: string, items: unknown[]): void;
}

/** Keeps every collection in one JSON file; writes go to a temp file first, then rename. */
export class JsonFilePersistence implements Persistence {
  private data: Record<string, unknown[]>;

  constructor(private readonly file: string) {
    this.data = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown[]>) : {};
  }

  load(collection: string): unknown[] {
    return this.data[collection] ?? [];
  }

  save(collection: string, items: unknown[]): void {
    this.data[collection] = items;
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = \`\${this.file}.tmp\`;
    writeFileSync(tmp, JSON.stringify(this.data, null, 2));
    renameSync(tmp, this.file);
  }
}

export class InMemoryRepository<T extends object> implements Repository<T> {
  private readonly items = new Map<string, T & Stored>();

  constructor(
    private readonly collection: string,
    private readonly persistence?: Persistence,
  ) {
    for (const item of persistence?.load(collection) ?? []) {
      const stored = item as T & Stored;
      this.items.set(stored.id, stored);
    }
  }

  list(filter?: (item: T & Stored) => boolean): (T & Stored)[] {
    const all = [...this.items.values()];
    return filter ? all.filter(filter) : all;
  }

  get(id: string): (T & Stored) | undefined {
    return this.items.get(id);
  }

  create(data: T): T & Stored {
    const now = new Date().toISOString();
    const item = { ...data, id: randomUUID(), createdAt: now, updatedAt: now };
    this.items.set(item.id, item);
    this.flush();
    return item;
  }

  update(id: string, data: Partial<T>): (T & Stored) | undefined {
    const current = this.items.get(id);
    if (!current) return undefined;
    const next = { ...current, ...data, id, createdAt: current.createdAt, updatedAt: new Date().toISOString() };
    this.items.set(id, next);
    this.flush();
    return next;
  }

  delete(id: string): boolean {
    const removed = this.items.delete(id);
    if (removed) this.flush();
    return removed;
  }

  count(filter?: (item: T & Stored) => boolean): number {
    return this.list(filter).length;
  }

  private flush(): void {
    this.persistence?.save(this.collection, [...this.items.values()]);
  }
}
`;
}

export function mainTs(): string {
  return `import { loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { startServer } from './server.js';

const config = loadConfig();
const logger = createLogger(config.logLevel);
const service = await startServer({ ...config, logger });

// Graceful shutdown: stop accepting connections, let requests in flight finish, then exit.
let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    const force = setTimeout(() => process.exit(1), config.shutdownTimeoutMs);
    force.unref();
    service.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error('shutdown failed', { error: String(err) });
        process.exit(1);
      },
    );
  });
}
`;
}
