import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Migration } from 'kysely';
import type { Config } from './config.js';
import { type Db, inTransaction, migrate, type OpenDatabase, openDatabase } from './db.js';
import { HttpError, problem, toProblem } from './errors.js';
import { createLogger, type Logger } from './logger.js';
import { Metrics } from './metrics.js';

export interface Reply {
  status: number;
  body?: unknown;
}

export interface RequestContext<S> {
  params: Record<string, string>;
  query: Record<string, unknown>;
  body: unknown;
  /** The repositories, bound to this request's transaction. */
  store: S;
}

export interface Route<S> {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** OpenAPI-style path, e.g. /books/{id}. */
  path: string;
  operationId: string;
  /** JSON schemas from the design's OpenAPI document; Fastify validates requests against them. */
  schema?: { body?: object; params?: object; querystring?: object };
  handler: (ctx: RequestContext<S>) => Promise<Reply>;
}

export interface RouteTools<S> {
  /** A handler answering 501 for an operation the generator could not implement. */
  notImplemented: (what: string) => Route<S>['handler'];
}

/** What the generated part of the service hands the kit: its tables, migrations, routes and API document. */
export interface ServiceDefinition<S> {
  migrations: Record<string, Migration>;
  /** Repositories on a connection or a transaction (a Kysely transaction is a Kysely instance). */
  createStore: (db: Db, dialect: OpenDatabase['dialect']) => S;
  routes: (tools: RouteTools<S>) => Route<S>[];
  openapi: Record<string, unknown>;
}

export interface StartOptions {
  host?: string;
  port?: number;
  logger?: Logger;
  database?: Config['database'];
}

export interface RunningService<S> {
  app: FastifyInstance;
  url: string;
  /** Repositories outside any request: for seeding and checking in tests. */
  store: S;
  database: OpenDatabase;
  close(): Promise<void>;
}

function fastifyPath(path: string): string {
  return path.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, ':$1');
}

const DOCS_PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>API</title>
<link rel="stylesheet" href="https://unpkg.com/swagger-ui-dist@5/swagger-ui.css"></head>
<body><div id="ui"></div><noscript>The API document is at <a href="/openapi.json">/openapi.json</a>.</noscript>
<script src="https://unpkg.com/swagger-ui-dist@5/swagger-ui-bundle.js"></script>
<script>SwaggerUIBundle({ url: '/openapi.json', dom_id: '#ui' });</script>
</body></html>`;

/** Fastify with health, readiness, metrics, the API document, problem+json errors and one transaction per request. */
export async function buildServer<S>(
  definition: ServiceDefinition<S>,
  database: OpenDatabase,
  logger: Logger,
  metrics = new Metrics(),
): Promise<FastifyInstance> {
  const started = Date.now();
  // ajv's defaults would silently drop unknown fields and coerce types; the design says what is valid.
  const app = Fastify({
    // Fastify's own logger type; a pino logger is one.
    loggerInstance: logger as FastifyBaseLogger,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: true, strict: false } },
    bodyLimit: 1024 * 1024,
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.observe(
      request.method,
      route.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}'),
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
  });
  app.setErrorHandler(async (err, request, reply) => {
    const answer = toProblem(err);
    if (answer.status >= 500) request.log.error({ err }, 'request failed');
    return reply.code(answer.status).type('application/problem+json').send(answer);
  });
  app.setNotFoundHandler(async (request, reply) =>
    reply
      .code(404)
      .type('application/problem+json')
      .send(problem(404, 'NOT_FOUND', `no route for ${request.method} ${request.url.split('?')[0]}`)),
  );

  app.get('/health', async () => ({
    status: 'ok',
    uptimeSeconds: Math.round((Date.now() - started) / 1000),
  }));
  app.get('/ready', async (_request, reply) => {
    try {
      await database.db.selectNoFrom((eb) => eb.lit(1).as('ok')).execute();
      return { status: 'ready' };
    } catch {
      return reply
        .code(503)
        .type('application/problem+json')
        .send(problem(503, 'NOT_READY', 'database unreachable'));
    }
  });
  app.get('/metrics', async (_request, reply) =>
    reply.type(metrics.contentType).send(await metrics.render()),
  );
  app.get('/openapi.json', async () => definition.openapi);
  app.get('/docs', async (_request, reply) => reply.type('text/html; charset=utf-8').send(DOCS_PAGE));

  const notImplemented =
    (what: string): Route<S>['handler'] =>
    async () => {
      throw new HttpError(501, 'NOT_IMPLEMENTED', `${what} is not implemented yet`);
    };
  const taken = new Set<string>();
  for (const route of definition.routes({ notImplemented })) {
    // Two operations on one method and path: the first wins, as a router reading the document in order would.
    const key = `${route.method} ${fastifyPath(route.path).replace(/:[A-Za-z0-9_]+/g, ':')}`;
    if (taken.has(key)) {
      logger.warn({ operationId: route.operationId, path: route.path }, 'duplicate route left out');
      continue;
    }
    taken.add(key);
    app.route({
      method: route.method,
      url: fastifyPath(route.path),
      ...(route.schema ? { schema: route.schema } : {}),
      handler: async (request, reply) => {
        const answer = await inTransaction(database, (trx) =>
          route.handler({
            params: request.params as Record<string, string>,
            query: request.query as Record<string, unknown>,
            body: request.body,
            store: definition.createStore(trx, database.dialect),
          }),
        );
        reply.code(answer.status);
        return answer.body === undefined ? reply.send() : reply.send(answer.body);
      },
    });
  }
  await app.ready();
  return app;
}

/** Opens the database, applies the migrations, listens; `close` drains requests, then closes the database. */
export async function startService<S>(
  definition: ServiceDefinition<S>,
  options: StartOptions = {},
): Promise<RunningService<S>> {
  const logger = options.logger ?? createLogger('silent');
  const database = await openDatabase(options.database ?? { kind: 'sqlite', file: ':memory:' });
  try {
    const applied = await migrate(database.db, definition.migrations);
    if (applied.length > 0) logger.info({ migrations: applied }, 'migrations applied');
    const app = await buildServer(definition, database, logger, new Metrics(true));
    const address = await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
    const port = new URL(address).port;
    const host = options.host && options.host !== '0.0.0.0' ? options.host : '127.0.0.1';
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    logger.info({ url, port: Number(port) }, 'listening');
    return {
      app,
      url,
      store: definition.createStore(database.db, database.dialect),
      database,
      close: async () => {
        await app.close();
        await database.close();
      },
    };
  } catch (err) {
    await database.close();
    throw err;
  }
}

/** Graceful shutdown on SIGTERM/SIGINT: stop accepting, let requests in flight finish, close the database. */
export function closeOnSignals(close: () => Promise<void>, logger: Logger, timeoutMs: number): void {
  let stopping = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down');
      setTimeout(() => process.exit(1), timeoutMs).unref();
      close().then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
    });
  }
}
