/**
 * Local error classes. Each carries a stable code; the CLI maps codes to exit codes
 * and the API maps them to problem+json. Wire errors (MCP, HTTP) are translated at the edges.
 */
export type ErrorCode =
  | 'BAD_INPUT'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'ILLEGAL_TRANSITION'
  | 'HOME_UNUSABLE'
  | 'CONFIG_INVALID'
  | 'PATH_REFUSED'
  | 'NOT_IMPLEMENTED'
  | 'CONTRACT_MISMATCH'
  | 'OUTPUT_INVALID'
  | 'ENGINE_UNAVAILABLE'
  | 'ENGINE_FAILED'
  | 'TIMEOUT'
  | 'CANCELLED'
  | 'SANDBOX_VIOLATION'
  | 'QUALITY_GATE_FAILED'
  | 'DEPLOY_FAILED'
  | 'VERIFY_FAILED'
  | 'PLUGIN_UNAVAILABLE'
  | 'LLM_FAILED'
  | 'LLM_OUTPUT_INVALID'
  | 'LLM_CASSETTE_MISS'
  | 'BUDGET_EXCEEDED'
  | 'AUTO_GATES_FORBIDDEN'
  | 'INTERNAL';

export class PowerAutoError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; details?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options?.details;
  }
}

export class BadInputError extends PowerAutoError {
  constructor(message: string, details?: unknown) {
    super('BAD_INPUT', message, { details });
  }
}

export class NotFoundError extends PowerAutoError {
  constructor(what: string, id: string) {
    super('NOT_FOUND', `${what} not found: ${id}`);
  }
}

export class ConflictError extends PowerAutoError {
  constructor(message: string) {
    super('CONFLICT', message);
  }
}

export class IllegalTransitionError extends PowerAutoError {
  constructor(subject: string, from: string, to: string) {
    super('ILLEGAL_TRANSITION', `illegal transition for ${subject}: ${from} -> ${to}`);
  }
}

export class PathRefusedError extends PowerAutoError {
  constructor(path: string, reason: string) {
    super('PATH_REFUSED', `refused path ${JSON.stringify(path)}: ${reason}`);
  }
}

/** Automatic gate policies asked for by someone who is not an admin (REST 403, MCP tool error). */
export class AutoGatesForbiddenError extends PowerAutoError {
  constructor(gates: string[], role: string) {
    super(
      'AUTO_GATES_FORBIDDEN',
      `automatic gate policies (${gates.join(', ')}) need the admin role; your role is ${role}. Leave the gates required and ask a reviewer to decide them.`,
    );
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
