/** An error with an HTTP status and a machine-readable code; answered as application/problem+json. */
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

/** RFC 9457 problem details, plus `code` for clients that branch on the kind of error. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
};

export function problem(status: number, code: string, detail: string): Problem {
  return { type: 'about:blank', title: TITLES[status] ?? 'Error', status, detail, code };
}

interface DriverError {
  code?: unknown;
  statusCode?: unknown;
  message?: unknown;
}

/**
 * What a thrown error means for the client. Constraint violations of SQLite and PostgreSQL keep their
 * meaning (409/422) when two requests race past the checks in code; anything unknown is a 500.
 */
export function toProblem(err: unknown): Problem {
  if (err instanceof HttpError) return problem(err.status, err.code, err.message);
  const e = (typeof err === 'object' && err !== null ? err : {}) as DriverError;
  const code = typeof e.code === 'string' ? e.code : '';
  if (code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    return problem(409, 'DUPLICATE', 'a record with this unique value already exists');
  }
  if (code === '23503' || code === 'SQLITE_CONSTRAINT_FOREIGNKEY') {
    return problem(409, 'REFERENCE_CONFLICT', 'the record references, or is referenced by, another record');
  }
  if (code === '23514' || code === 'SQLITE_CONSTRAINT_CHECK') {
    return problem(422, 'RULE_VIOLATED', 'the record breaks a constraint of the schema');
  }
  // Fastify's own errors (bad JSON, body too large, schema validation) carry a 4xx statusCode.
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    const fastifyCode = code.startsWith('FST_ERR_VALIDATION') || code === '' ? 'VALIDATION_FAILED' : code;
    return problem(
      e.statusCode,
      e.statusCode === 400 ? fastifyCode : code || 'BAD_REQUEST',
      String(e.message),
    );
  }
  return problem(500, 'INTERNAL', 'internal server error');
}
