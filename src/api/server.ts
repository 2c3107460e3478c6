import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import rateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { closeMcpSessions, handleMcpRequest } from '../mcp/http.js';
import type { Runtime } from '../orchestrator/runtime.js';
import { UserStore } from '../store/users.js';
import { Authenticator, loadOrCreateSecret } from './auth/authenticator.js';
import { AuthFailureLimiter } from './auth/failures.js';
import { generatePassword, hashPassword } from './auth/passwords.js';
import { can } from './auth/rbac.js';
import { installErrorHandlers, problem, sendProblem } from './errors.js';
import { buildOpenApi } from './openapi.js';
import { audit, auditPlugin } from './plugins/audit.js';
import { enginesPlugin } from './plugins/engines.js';
import { eventsPlugin } from './plugins/events.js';
import { gatesPlugin } from './plugins/gates.js';
import { metricsPlugin } from './plugins/metrics.js';
import { operationsPlugin } from './plugins/operations.js';
import { runsPlugin } from './plugins/runs.js';
import { usersPlugin } from './plugins/users.js';
import { workspacePlugin } from './plugins/workspace.js';
import { type ApiContext, guard, RouteRegistry, route } from './route.js';
import { Health } from './schemas.js';

export interface ApiServerOptions {
  /** Default 127.0.0.1: exposing the API beyond this machine is a deliberate choice. */
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Largest request body in bytes (default 1 MiB); larger answers 413. */
  bodyLimit?: number;
  /** Requests per user (or per IP when anonymous) per window. */
  rateLimit?: { max: number; timeWindowMs: number };
  /** Failed authentications (missing, bad, expired or revoked credentials) per IP per window. */
  authFailureRateLimit?: { max: number; timeWindowMs: number };
  /** Login attempts per IP per window. */
  loginRateLimit?: { max: number; timeWindowMs: number };
  /** How often an open WebSocket re-checks its credential (default 10 s; changes made here apply at once). */
  socketRecheckMs?: number;
  /** Session JWT lifetime (default 15 minutes). */
  sessionTtlSeconds?: number;
  /** The built SmartUI; default `web/dist` of this package. */
  webRoot?: string;
  /** Fastify logger: false (default), true, or pino options. Tokens in URLs are never logged. */
  logger?: boolean | Record<string, unknown>;
  /** The first admin's password; default POWERAUTO_ADMIN_PASSWORD, else generated and printed once. */
  adminPassword?: string;
  /** Where the generated first-admin password is printed (default stderr). */
  print?: (line: string) => void;
}

export interface ApiServer {
  url: string;
  port: number;
  app: FastifyInstance;
  close(): Promise<void>;
}

const here = dirname(fileURLToPath(import.meta.url));
const packageRoot = resolve(here, '../..');

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string })
      .version;
  } catch {
    return '0.0.0';
  }
}

/** Requests and errors as logged: no query strings (they may carry `?token=`), no headers. */
const serializers = {
  req: (req: FastifyRequest) => ({ method: req.method, url: req.url.split('?')[0], ip: req.ip }),
};

const SPA_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  // Mermaid draws SVG with inline styles.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self' ws: wss:",
  "object-src 'none'",
  "base-uri 'self'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

/** Creates the first admin when there are no users. */
async function bootstrapAdmin(runtime: Runtime, users: UserStore, options: ApiServerOptions): Promise<void> {
  if ((await users.countUsers()) > 0) return;
  const given = options.adminPassword ?? process.env.POWERAUTO_ADMIN_PASSWORD;
  const password = given && given.length > 0 ? given : generatePassword();
  try {
    await users.insertUser({ username: 'admin', role: 'admin', passwordHash: await hashPassword(password) });
  } catch {
    return; // another process created it first
  }
  await audit(runtime, 'system', 'user.create', 'admin', {
    username: 'admin',
    role: 'admin',
    bootstrap: true,
  });
  if (!given) {
    const print = options.print ?? ((line: string) => process.stderr.write(`${line}\n`));
    print(`PowerAutomation: created user "admin" with the one-time password ${password}`);
    print(
      '  Log in and change it (PATCH /api/v1/users/{id}), or set POWERAUTO_ADMIN_PASSWORD before the first start.',
    );
  }
}

/** Security headers on every answer; the API docs page brings its own CSP. */
function securityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (req, reply) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-frame-options', 'DENY');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('cross-origin-opener-policy', 'same-origin');
    reply.header('cross-origin-resource-policy', 'same-origin');
    reply.header('permissions-policy', 'camera=(), microphone=(), geolocation=()');
    if (!req.url.startsWith('/docs')) reply.header('content-security-policy', SPA_CSP);
    if (req.url.startsWith('/api/')) reply.header('cache-control', 'no-store');
  });
}

/** Builds the Fastify app: REST /api/v1, WebSocket events, /metrics, /mcp, /docs and the SmartUI. */
export async function buildApiApp(
  runtime: Runtime,
  options: ApiServerOptions = {},
): Promise<FastifyInstance> {
  const users = new UserStore(runtime.store.db);
  const auth = new Authenticator(
    loadOrCreateSecret(runtime.home),
    users,
    options.sessionTtlSeconds ?? 15 * 60,
  );
  const ctx: ApiContext = {
    runtime,
    users,
    auth,
    authFailures: new AuthFailureLimiter(options.authFailureRateLimit ?? { max: 30, timeWindowMs: 60_000 }),
    routes: new RouteRegistry(),
  };
  const limit = options.rateLimit ?? { max: 1_200, timeWindowMs: 60_000 };
  const loginLimit = options.loginRateLimit ?? { max: 10, timeWindowMs: 60_000 };

  const logger =
    options.logger === undefined || options.logger === false
      ? false
      : { level: 'info', ...(options.logger === true ? {} : options.logger), serializers };
  const app = Fastify({
    logger,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    trustProxy: false,
  });
  app.decorateRequest('user', null);
  installErrorHandlers(app);
  securityHeaders(app);

  await app.register(rateLimit, {
    global: true,
    // After authentication (route onRequest hooks), so signed-in users are limited per user.
    hook: 'preHandler',
    max: limit.max,
    timeWindow: limit.timeWindowMs,
    keyGenerator: (req) => (req.user ? `user:${req.user.id}` : `ip:${req.ip}`),
    errorResponseBuilder: (_req, context) => ({
      statusCode: 429,
      code: 'RATE_LIMITED',
      message: `rate limit exceeded: ${context.max} requests per ${context.after}; retry after ${context.after}`,
    }),
  });
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });

  route(app, ctx, {
    method: 'GET',
    url: '/api/v1/health',
    summary: 'Liveness',
    tags: ['meta'],
    access: 'public',
    response: Health,
    handler: () => ({ status: 'ok' as const, version: packageVersion() }),
  });
  await app.register(async (scope) =>
    usersPlugin(scope, ctx, {
      max: loginLimit.max,
      timeWindow: loginLimit.timeWindowMs,
      keyGenerator: (req: FastifyRequest) => `login:${req.ip}`,
    }),
  );
  await app.register(async (scope) => runsPlugin(scope, ctx));
  await app.register(async (scope) => gatesPlugin(scope, ctx));
  await app.register(async (scope) => workspacePlugin(scope, ctx));
  await app.register(async (scope) => operationsPlugin(scope, ctx));
  await app.register(async (scope) => enginesPlugin(scope, ctx));
  await app.register(async (scope) => auditPlugin(scope, ctx));
  await app.register(async (scope) =>
    eventsPlugin(scope, ctx, { recheckMs: options.socketRecheckMs ?? 10_000 }),
  );
  await app.register(async (scope) => metricsPlugin(scope, ctx));

  // The orchestrator's own MCP server (Streamable HTTP), for Claude Desktop, Cursor, Kilo Code.
  app.route({
    method: ['GET', 'POST', 'DELETE'],
    url: '/mcp',
    onRequest: guard(ctx, 'mcp:use'),
    handler: async (req, reply) => {
      reply.hijack();
      const user = req.user!;
      // The MCP tools check the same RBAC table as the REST routes: mcp:use is not gates:decide.
      await handleMcpRequest(runtime, req.raw, reply.raw, req.body, {
        actor: user.username,
        // The role now, not the one at connect: the session outlives this request.
        check: async (permission) => {
          const current = await auth.currentUser(user.id);
          if (current === undefined) return { allowed: false, role: 'disabled' };
          return { allowed: can(current.role, permission), role: current.role };
        },
      });
    },
  });

  // The OpenAPI document comes from the zod schemas the routes above registered.
  const document = buildOpenApi(ctx.routes.routes, { version: packageVersion() });
  app.get('/api/v1/openapi.json', async () => document);
  await app.register(swagger, { mode: 'static', specification: { document: document as never } });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });

  const webRoot = options.webRoot ?? join(packageRoot, 'web', 'dist');
  const hasWeb = existsSync(join(webRoot, 'index.html'));
  if (hasWeb)
    await app.register(fastifyStatic, { root: webRoot, prefix: '/', wildcard: false, index: 'index.html' });
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0] ?? '/';
    const isApi = /^\/(api|mcp|metrics|docs)(\/|$)/.test(path);
    if (!isApi && req.method === 'GET') {
      // Client-side routes of the SmartUI all answer with its index.html.
      if (hasWeb) return reply.type('text/html').sendFile('index.html');
      return reply
        .type('text/plain')
        .send(
          'The SmartUI is not built. Run `npm run build:web`, then reload. The API is at /api/v1, docs at /docs.',
        );
    }
    return sendProblem(reply, req, problem(404, 'NOT_FOUND', `no route ${req.method} ${path}`));
  });

  app.addHook('onClose', async () => {
    await closeMcpSessions(runtime);
  });
  await app.ready();
  await bootstrapAdmin(runtime, users, options);
  return app;
}

/** Starts the API gateway on host:port (127.0.0.1 and 7420 unless told). */
export async function startApiServer(runtime: Runtime, options: ApiServerOptions = {}): Promise<ApiServer> {
  const app = await buildApiApp(runtime, options);
  const host = options.host ?? runtime.config.server?.host ?? '127.0.0.1';
  await app.listen({ host, port: options.port ?? runtime.config.server?.port ?? 7420 });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : (options.port ?? 0);
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}`,
    port,
    app,
    close: () => app.close(),
  };
}
