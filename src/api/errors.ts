import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { type ErrorCode, PowerAutoError } from '../contracts/errors.js';

export type ApiErrorCode =
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'RATE_LIMITED'
  | 'NOT_AVAILABLE'
  | 'PAYLOAD_TOO_LARGE';

const API_STATUS: Record<ApiErrorCode, number> = {
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  RATE_LIMITED: 429,
  NOT_AVAILABLE: 501,
  PAYLOAD_TOO_LARGE: 413,
};

/** Errors the gateway itself raises (authentication, permissions, features not landed yet). */
export class ApiError extends Error {
  readonly code: ApiErrorCode;
  readonly status: number;
  constructor(code: ApiErrorCode, message: string) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = API_STATUS[code];
  }
}

/** HTTP status for each domain error code (src/contracts/errors.ts); a code not listed answers 500. */
export const STATUS_BY_CODE: Partial<Record<ErrorCode, number>> = {
  BAD_INPUT: 400,
  PATH_REFUSED: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  ILLEGAL_TRANSITION: 409,
  CANCELLED: 409,
  QUALITY_GATE_FAILED: 422,
  SANDBOX_VIOLATION: 422,
  NOT_IMPLEMENTED: 501,
  CONTRACT_MISMATCH: 502,
  OUTPUT_INVALID: 502,
  ENGINE_FAILED: 502,
  ENGINE_UNAVAILABLE: 503,
  TIMEOUT: 504,
  DEPLOY_FAILED: 502,
  VERIFY_FAILED: 502,
  PLUGIN_UNAVAILABLE: 503,
  LLM_FAILED: 502,
  LLM_OUTPUT_INVALID: 502,
  LLM_CASSETTE_MISS: 500,
  BUDGET_EXCEEDED: 429,
  AUTO_GATES_FORBIDDEN: 403,
  HOME_UNUSABLE: 500,
  CONFIG_INVALID: 500,
  INTERNAL: 500,
};

/** RFC 9457 problem details, as every error response of the API. */
export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().optional(),
    code: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem' });
export type Problem = z.infer<typeof Problem>;

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export function problem(status: number, code: string, detail: string, extra: Partial<Problem> = {}): Problem {
  return {
    type: `https://powerauto.dev/problems/${code.toLowerCase().replace(/_/g, '-')}`,
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    code,
    ...extra,
  };
}

export function sendProblem(reply: FastifyReply, req: FastifyRequest, body: Problem): FastifyReply {
  return reply
    .code(body.status)
    .type('application/problem+json')
    .send({ ...body, instance: req.url.split('?')[0] });
}

function zodProblem(err: z.ZodError, where: string): Problem {
  const errors = err.issues.map((issue) => ({
    path: issue.path.length === 0 ? where : `${where}.${issue.path.join('.')}`,
    message: issue.message,
  }));
  const first = errors[0];
  return problem(
    400,
    'BAD_INPUT',
    `invalid ${where}: ${first ? `${first.path}: ${first.message}` : 'invalid'}`,
    {
      errors,
    },
  );
}

/** Marks a zod error with the part of the request it came from (params, query, body). */
export class RequestValidationError extends Error {
  constructor(
    readonly where: 'params' | 'query' | 'body',
    readonly zodError: z.ZodError,
  ) {
    super(`invalid ${where}`);
  }
}

/** Turns anything thrown into problem+json; stack traces and internal messages never leave. */
export function toProblem(err: unknown): { problem: Problem; internal: boolean } {
  if (err instanceof RequestValidationError)
    return { problem: zodProblem(err.zodError, err.where), internal: false };
  if (err instanceof ApiError)
    return { problem: problem(err.status, err.code, err.message), internal: false };
  if (err instanceof PowerAutoError) {
    const status = STATUS_BY_CODE[err.code] ?? 500;
    return {
      problem: problem(status, err.code, status >= 500 && status < 502 ? safeInternal(err) : err.message),
      internal: status === 500,
    };
  }
  const fe = err as Partial<FastifyError> & { statusCode?: number };
  if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
    return {
      problem: problem(413, 'PAYLOAD_TOO_LARGE', 'the request body is larger than the limit'),
      internal: false,
    };
  if (fe.statusCode === 429)
    return { problem: problem(429, 'RATE_LIMITED', fe.message ?? 'too many requests'), internal: false };
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    // Fastify's own client errors (bad JSON, wrong content type) have safe messages.
    const code = fe.statusCode === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : 'BAD_INPUT';
    return { problem: problem(fe.statusCode, code, fe.message ?? 'bad request'), internal: false };
  }
  return { problem: problem(500, 'INTERNAL', 'internal error; see the server log'), internal: true };
}

function safeInternal(err: PowerAutoError): string {
  return err.code === 'NOT_IMPLEMENTED' ? err.message : `${err.code.toLowerCase()}: see the server log`;
}

/** Error and not-found handlers for the whole app. */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err, req, reply) => {
    const { problem: body, internal } = toProblem(err);
    if (internal) req.log.error({ err }, 'request failed');
    if (body.status === 429 && !reply.getHeader('retry-after')) reply.header('retry-after', '60');
    return sendProblem(reply, req, body);
  });
}
