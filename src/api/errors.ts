import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { type ApiErrorCode, ArtifactInvalidError, ERROR_CODES, PowerAutoError } from '../contracts/errors.js';

/** Errors the gateway itself raises (authentication, permissions, features not landed yet). */
export class ApiError extends Error {
  readonly code: ApiErrorCode;
  readonly status: number;
  constructor(code: ApiErrorCode, message: string) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = ERROR_CODES[code].status;
  }
}

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
  if (err instanceof ArtifactInvalidError) {
    // Each field that broke the contract, relative to the request body (`edited.trace.0.requirementId`).
    const errors = err.issues.map((i) => ({
      path: i.path === '' ? 'edited' : `edited.${i.path}`,
      message: i.message,
    }));
    return { problem: problem(422, err.code, err.message, { errors }), internal: false };
  }
  if (err instanceof PowerAutoError) {
    const status = ERROR_CODES[err.code].status;
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
