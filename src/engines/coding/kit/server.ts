import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyRequest,
  type FastifyServerOptions,
} from 'fastify';
import type { Migration } from 'kysely';
import type { Config } from './config.js';
import { type Db, inTransaction, migrate, type OpenDatabase, openDatabase } from './db.js';
import { HttpError, problem, toProblem } from './errors.js';
import { createLogger, type Logger } from './logger.js';
import { Metrics } from './metrics.js';
import { coerceValues, type DerivedSchemas, requestSchemas } from './request-schemas.js';

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
  /**
   * JSON schemas Fastify validates requests against. Without them the kit derives them from the
   * operation in the service's OpenAPI document (by operationId, else method and path); a part given
   * here replaces the derived one.
   */
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

type SchemaPart = keyof DerivedSchemas['schema'];
const PARTS: SchemaPart[] = ['body', 'params', 'querystring'];
const MAX_REPORTED_ERRORS = 10;

interface SchemaError {
  instancePath?: string;
  message?: string;
  keyword?: string;
  params?: Record<string, unknown>;
}

/**
 * Ajv's errors as one message: `body/name must be string; body must NOT have additional property
 * "extra"`. At most ten are named, so a body of a million unknown fields gets a short answer.
 */
function schemaErrorFormatter(errors: SchemaError[], dataVar: string): Error {
  // `if`/`then`/`else` only wraps an optional body; its own error says nothing the others do not.
  const shown = errors.filter((e) => e.keyword !== 'if');
  const text = shown.slice(0, MAX_REPORTED_ERRORS).map((e) => {
    const extra = e.keyword === 'additionalProperties' ? e.params?.additionalProperty : undefined;
    const message =
      typeof extra === 'string'
        ? `must NOT have additional property "${extra}"`
        : (e.message ?? 'is invalid');
    return `${dataVar}${e.instancePath ?? ''} ${message}`;
  });
  if (shown.length > MAX_REPORTED_ERRORS) text.push(`and ${shown.length - MAX_REPORTED_ERRORS} more`);
  return new Error(text.join('; '));
}

/** Ajv as the design means it: nothing dropped or coerced silently, its warnings in the service's log. */
function fastifyOptions(logger: Logger): FastifyServerOptions {
  const ajvLog =
    (level: 'debug' | 'warn' | 'error') =>
    (...args: unknown[]) =>
      logger[level]({ detail: args.map(String).join(' ') }, 'request schema');
  return {
    // Fastify's own logger type; a pino logger is one.
    loggerInstance: logger as FastifyBaseLogger,
    ajv: {
      customOptions: {
        removeAdditional: false,
        coerceTypes: false,
        allErrors: true,
        // Unknown keywords of OpenAPI 3.1 (x-…, readOnly, examples…) and unknown formats are ignored, not fatal.
        strict: false,
        logger: { log: ajvLog('debug'), warn: ajvLog('warn'), error: ajvLog('error') },
      },
    },
    schemaErrorFormatter,
    bodyLimit: 1024 * 1024,
  };
}

interface PlannedRoute<S> {
  route: Route<S>;
  derived: DerivedSchemas;
}

function routeSchema<S>(planned: PlannedRoute<S>): Record<string, object> {
  return { ...planned.derived.schema, ...planned.route.schema };
}

function isSchemaBuildError(err: unknown): boolean {
  return (
    typeof err === 'object' &&
    err !== null &&
    (err as { code?: unknown }).code === 'FST_ERR_SCH_VALIDATION_BUILD'
  );
}

/** Whether Fastify's Ajv compiles one schema, tried on a throwaway instance. */
async function compiles(
  logger: Logger,
  method: Route<unknown>['method'],
  url: string,
  part: SchemaPart,
  schema: object,
) {
  const probe = Fastify(fastifyOptions(logger));
  probe.route({ method, url, schema: { [part]: schema }, handler: async () => null });
  try {
    await probe.ready();
    return true;
  } catch {
    return false;
  } finally {
    await probe.close().catch(() => undefined);
  }
}

/** Fastify with health, readiness, metrics, the API document, problem+json errors and one transaction per request. */
export async function buildServer<S>(
  definition: ServiceDefinition<S>,
  database: OpenDatabase,
  logger: Logger,
  metrics = new Metrics(),
): Promise<FastifyInstance> {
  const notImplemented =
    (what: string): Route<S>['handler'] =>
    async () => {
      throw new HttpError(501, 'NOT_IMPLEMENTED', `${what} is not implemented yet`);
    };
  const planned: PlannedRoute<S>[] = [];
  const taken = new Set<string>();
  for (const route of definition.routes({ notImplemented })) {
    // Two operations on one method and path: the first wins, as a router reading the document in order would.
    const key = `${route.method} ${fastifyPath(route.path).replace(/:[A-Za-z0-9_]+/g, ':')}`;
    if (taken.has(key)) {
      logger.warn({ operationId: route.operationId, path: route.path }, 'duplicate route left out');
      continue;
    }
    taken.add(key);
    planned.push({ route, derived: requestSchemas(definition.openapi, route) });
  }
  try {
    return await assemble(definition, database, logger, metrics, planned);
  } catch (err) {
    if (!isSchemaBuildError(err)) throw err;
  }
  // A schema of the document Ajv cannot compile (a reference to another file, a keyword misused) is left
  // out, and the handler's own checks still run; a schema given in code is not, and fails the start.
  for (const p of planned) {
    for (const part of PARTS) {
      const schema = p.derived.schema[part];
      if (schema === undefined || p.route.schema?.[part] !== undefined) continue;
      if (await compiles(logger, p.route.method, fastifyPath(p.route.path), part, schema)) continue;
      logger.warn(
        { operationId: p.route.operationId, path: p.route.path, part },
        'request schema from the API document does not compile: not validated by schema',
      );
      delete p.derived.schema[part];
      if (part !== 'body') p.derived.coerce[part] = {};
    }
  }
  return assemble(definition, database, logger, metrics, planned);
}

async function assemble<S>(
  definition: ServiceDefinition<S>,
  database: OpenDatabase,
  logger: Logger,
  metrics: Metrics,
  planned: PlannedRoute<S>[],
): Promise<FastifyInstance> {
  const started = Date.now();
  const app = Fastify(fastifyOptions(logger));
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

  // Path values as they came (strings, as RequestContext says) when they were converted for validation.
  const rawParams = new WeakMap<FastifyRequest, Record<string, string>>();
  for (const p of planned) {
    const { route } = p;
    const schema = routeSchema(p);
    const coerce = p.route.schema
      ? {
          params: p.route.schema.params ? {} : p.derived.coerce.params,
          querystring: p.route.schema.querystring ? {} : p.derived.coerce.querystring,
        }
      : p.derived.coerce;
    const coerces = Object.keys(coerce.params).length > 0 || Object.keys(coerce.querystring).length > 0;
    app.route({
      method: route.method,
      url: fastifyPath(route.path),
      ...(Object.keys(schema).length > 0 ? { schema } : {}),
      // Query and path values are strings; `?limit=5` is validated as the integer the document declares.
      ...(coerces
        ? {
            preValidation: async (request: FastifyRequest) => {
              if (Object.keys(coerce.params).length > 0) {
                rawParams.set(request, request.params as Record<string, string>);
                request.params = coerceValues(request.params as Record<string, unknown>, coerce.params);
              }
              if (Object.keys(coerce.querystring).length > 0) {
                request.query = coerceValues(request.query as Record<string, unknown>, coerce.querystring);
              }
            },
          }
        : {}),
      handler: async (request, reply) => {
        const answer = await inTransaction(database, (trx) =>
          route.handler({
            params: rawParams.get(request) ?? (request.params as Record<string, string>),
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
  try {
    await app.ready();
  } catch (err) {
    await app.close().catch(() => undefined);
    throw err;
  }
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
