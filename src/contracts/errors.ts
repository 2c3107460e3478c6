/**
 * Every error code, listed once: its HTTP status in the API's problem+json, whether the CLI exits
 * with "bad input or usage" (2) rather than "failed" (1), whether the scheduler retries a step that
 * failed with it, and whether an engine may send it in its error `_meta` (anything else an engine
 * sends becomes ENGINE_FAILED). Local error classes carry these codes; wire errors (MCP, HTTP) are
 * translated at the edges.
 */
export const ERROR_CODES = {
  BAD_INPUT: { status: 400, usage: true, retryable: false, fromEngine: true },
  NOT_FOUND: { status: 404, usage: true, retryable: false, fromEngine: true },
  CONFLICT: { status: 409, usage: true, retryable: false, fromEngine: true },
  ILLEGAL_TRANSITION: { status: 409, usage: false, retryable: false, fromEngine: false },
  HOME_UNUSABLE: { status: 500, usage: true, retryable: false, fromEngine: false },
  CONFIG_INVALID: { status: 500, usage: true, retryable: false, fromEngine: false },
  PATH_REFUSED: { status: 400, usage: true, retryable: false, fromEngine: true },
  NOT_IMPLEMENTED: { status: 501, usage: false, retryable: false, fromEngine: true },
  CONTRACT_MISMATCH: { status: 502, usage: false, retryable: false, fromEngine: false },
  // An artifact edited at a gate broke its contract; the edit is refused and the gate keeps waiting.
  ARTIFACT_INVALID: { status: 422, usage: true, retryable: false, fromEngine: false },
  OUTPUT_INVALID: { status: 502, usage: false, retryable: false, fromEngine: false },
  ENGINE_UNAVAILABLE: { status: 503, usage: false, retryable: true, fromEngine: false },
  ENGINE_FAILED: { status: 502, usage: false, retryable: true, fromEngine: false },
  TIMEOUT: { status: 504, usage: false, retryable: true, fromEngine: true },
  CANCELLED: { status: 409, usage: false, retryable: false, fromEngine: true },
  SANDBOX_VIOLATION: { status: 422, usage: false, retryable: false, fromEngine: true },
  QUALITY_GATE_FAILED: { status: 422, usage: false, retryable: false, fromEngine: true },
  // Engine-side failures the scheduler must see as they are: retrying them would redo a refused
  // deployment or pay for the same failing model call again.
  DEPLOY_FAILED: { status: 502, usage: false, retryable: false, fromEngine: true },
  VERIFY_FAILED: { status: 502, usage: false, retryable: false, fromEngine: true },
  PLUGIN_UNAVAILABLE: { status: 503, usage: false, retryable: false, fromEngine: true },
  LLM_FAILED: { status: 502, usage: false, retryable: false, fromEngine: true },
  LLM_OUTPUT_INVALID: { status: 502, usage: false, retryable: false, fromEngine: true },
  LLM_CASSETTE_MISS: { status: 500, usage: false, retryable: false, fromEngine: true },
  BUDGET_EXCEEDED: { status: 429, usage: false, retryable: false, fromEngine: true },
  // Automatic gate policies asked for by someone who is not an admin.
  AUTO_GATES_FORBIDDEN: { status: 403, usage: true, retryable: false, fromEngine: false },
  INTERNAL: { status: 500, usage: false, retryable: true, fromEngine: false },
  // Raised by the API gateway itself (src/api/errors.ts).
  UNAUTHORIZED: { status: 401, usage: false, retryable: false, fromEngine: false },
  FORBIDDEN: { status: 403, usage: false, retryable: false, fromEngine: false },
  RATE_LIMITED: { status: 429, usage: false, retryable: false, fromEngine: false },
  NOT_AVAILABLE: { status: 501, usage: false, retryable: false, fromEngine: false },
  PAYLOAD_TOO_LARGE: { status: 413, usage: false, retryable: false, fromEngine: false },
} as const satisfies Record<
  string,
  { status: number; usage: boolean; retryable: boolean; fromEngine: boolean }
>;

export type AnyErrorCode = keyof typeof ERROR_CODES;
/** The codes the API gateway raises; every other code is a domain error's. */
export type ApiErrorCode =
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'RATE_LIMITED'
  | 'NOT_AVAILABLE'
  | 'PAYLOAD_TOO_LARGE';
export type ErrorCode = Exclude<AnyErrorCode, ApiErrorCode>;

/** The codes whose entry has `flag` set. */
export function errorCodesWith(flag: 'usage' | 'retryable' | 'fromEngine'): AnyErrorCode[] {
  return (Object.keys(ERROR_CODES) as AnyErrorCode[]).filter((code) => ERROR_CODES[code][flag]);
}

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

/** One field of an artifact that broke its contract: `trace.0.requirementId` and why. */
export interface FieldIssue {
  path: string;
  message: string;
}

/** An artifact (a reviewer's edit at a gate) that does not match its contract; nothing was stored. */
export class ArtifactInvalidError extends PowerAutoError {
  readonly issues: FieldIssue[];
  constructor(message: string, issues: FieldIssue[]) {
    super('ARTIFACT_INVALID', message, { details: { issues } });
    this.issues = issues;
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
