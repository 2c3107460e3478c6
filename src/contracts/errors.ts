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
  | 'ARTIFACT_INVALID'
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

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
