import type { FastifyInstance, FastifyReply, FastifyRequest, RouteShorthandOptions } from 'fastify';
import type { z } from 'zod';
import type { Runtime } from '../orchestrator/runtime.js';
import type { UserStore } from '../store/users.js';
import type { Authenticator, AuthUser } from './auth/authenticator.js';
import type { AuthFailureLimiter } from './auth/failures.js';
import { can, type Permission } from './auth/rbac.js';
import { ApiError, RequestValidationError } from './errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    user: AuthUser | null;
  }
}

/** What every API plugin receives. */
export interface ApiContext {
  runtime: Runtime;
  users: UserStore;
  auth: Authenticator;
  /** Failed authentications per IP: counted before the general, per-user rate limit. */
  authFailures: AuthFailureLimiter;
  routes: RouteRegistry;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
/** `public`: no credentials; `authenticated`: any signed-in user; else one permission of the RBAC table. */
export type Access = Permission | 'public' | 'authenticated';

type Schema = z.ZodType | undefined;
type Infer<T extends Schema> = T extends z.ZodType ? z.output<T> : undefined;

export interface RouteDef<P extends Schema, Q extends Schema, B extends Schema, R extends z.ZodType> {
  method: HttpMethod;
  /** Fastify path under the app, e.g. `/api/v1/runs/:runId`. */
  url: string;
  summary: string;
  description?: string;
  tags: string[];
  access: Access;
  params?: P;
  query?: Q;
  body?: B;
  response: R;
  /** Success status, default 200. */
  status?: number;
  rateLimit?: Record<string, unknown>;
  handler(input: {
    params: Infer<P>;
    query: Infer<Q>;
    body: Infer<B>;
    /** For `public` routes, the anonymous user. */
    user: AuthUser;
    req: FastifyRequest;
    reply: FastifyReply;
  }): Promise<z.input<R>> | z.input<R>;
}

export interface RegisteredRoute {
  method: HttpMethod;
  url: string;
  summary: string;
  description?: string;
  tags: string[];
  access: Access;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  response: z.ZodType;
  status: number;
  /** Non-JSON routes (WebSocket, metrics text) describe themselves. */
  kind?: 'websocket' | 'text';
}

/** Every documented route, for the OpenAPI document. */
export class RouteRegistry {
  readonly routes: RegisteredRoute[] = [];
  add(route: RegisteredRoute): void {
    this.routes.push(route);
  }
}

export const ANONYMOUS: AuthUser = { id: '', username: 'anonymous', role: 'viewer', via: 'jwt' };

/** Reads `Authorization: Bearer …`; WebSocket upgrades may carry the token as `?token=` instead. */
export function credentialOf(req: FastifyRequest, allowQuery: boolean): string | undefined {
  const header = req.headers.authorization;
  if (typeof header === 'string') {
    const match = /^Bearer\s+(.+)$/i.exec(header.trim());
    if (match) return match[1];
  }
  if (allowQuery) {
    const token = (req.query as Record<string, unknown> | undefined)?.token;
    if (typeof token === 'string' && token.length > 0) return token;
  }
  return undefined;
}

/** The onRequest hook that authenticates and applies the permission table. */
export function guard(ctx: ApiContext, access: Access, allowQueryToken = false) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (access === 'public') return;
    // Refused before the credential is looked at: guessing must not go on at full speed.
    const wait = ctx.authFailures.retryAfter(req.ip);
    if (wait > 0) {
      reply.header('retry-after', String(wait));
      throw new ApiError(
        'RATE_LIMITED',
        `too many failed authentications from this address: ${ctx.authFailures.max} per ${ctx.authFailures.windowMs / 1000} s; retry after ${wait} s`,
      );
    }
    const credential = credentialOf(req, allowQueryToken);
    if (credential === undefined) {
      ctx.authFailures.fail(req.ip);
      throw new ApiError('UNAUTHORIZED', 'authentication required: send Authorization: Bearer <token>');
    }
    try {
      req.user = await ctx.auth.authenticate(credential);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'UNAUTHORIZED') ctx.authFailures.fail(req.ip);
      throw err;
    }
    if (access !== 'authenticated' && !can(req.user.role, access)) {
      throw new ApiError(
        'FORBIDDEN',
        `your role (${req.user.role}) may not do this: it needs the ${access} permission`,
      );
    }
  };
}

function parsePart<T extends z.ZodType>(
  schema: T,
  value: unknown,
  where: 'params' | 'query' | 'body',
): z.output<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new RequestValidationError(where, parsed.error);
  return parsed.data;
}

/** Declares one JSON route: zod-validated params, query, body and response; RBAC; OpenAPI entry. */
export function route<P extends Schema, Q extends Schema, B extends Schema, R extends z.ZodType>(
  app: FastifyInstance,
  ctx: ApiContext,
  def: RouteDef<P, Q, B, R>,
): void {
  ctx.routes.add({ ...def, status: def.status ?? 200 });
  const options: RouteShorthandOptions = {
    onRequest: guard(ctx, def.access),
    config: def.rateLimit === undefined ? {} : { rateLimit: def.rateLimit },
  };
  app.route({
    ...options,
    method: def.method,
    url: def.url,
    handler: async (req, reply) => {
      const input = {
        params: (def.params ? parsePart(def.params, req.params, 'params') : undefined) as Infer<P>,
        query: (def.query ? parsePart(def.query, req.query, 'query') : undefined) as Infer<Q>,
        body: (def.body ? parsePart(def.body, req.body ?? {}, 'body') : undefined) as Infer<B>,
        user: req.user ?? ANONYMOUS,
        req,
        reply,
      };
      const result = await def.handler(input);
      if (reply.sent) return reply;
      const checked = def.response.safeParse(result);
      if (!checked.success) {
        // A response that breaks its own schema is our bug: log it, never send half-valid data.
        req.log.error(
          { issues: checked.error.issues.slice(0, 5), url: def.url },
          'response failed its schema',
        );
        throw new Error('response failed its schema');
      }
      return reply.code(def.status ?? 200).send(checked.data);
    },
  });
}
