import { type ErrorCode, PowerAutoError } from '../contracts/errors.js';
import type { LlmUsageMetrics } from '../contracts/mcp-meta.js';

/** An engine's tools/list does not satisfy its role contract; the engine is refused. */
export class ContractMismatchError extends PowerAutoError {
  constructor(engine: string, problems: readonly string[]) {
    super('CONTRACT_MISMATCH', `engine "${engine}" does not satisfy its contract: ${problems.join('; ')}`, {
      details: { engine, problems },
    });
  }
}

/** The engine answered, but its structuredContent does not match the tool's output schema. */
export class OutputInvalidError extends PowerAutoError {
  constructor(tool: string, engine: string, issues: readonly string[]) {
    super('OUTPUT_INVALID', `${tool} from engine "${engine}" returned invalid output: ${issues.join('; ')}`, {
      details: { tool, engine, issues },
    });
  }
}

/** No instance could carry the call (none configured, all down, or every attempt failed in transport). */
export class EngineUnavailableError extends PowerAutoError {
  constructor(message: string, cause?: unknown) {
    super('ENGINE_UNAVAILABLE', message, { cause });
  }
}

/** Every attempt timed out. */
export class EngineTimeoutError extends PowerAutoError {
  constructor(message: string, cause?: unknown) {
    super('TIMEOUT', message, { cause });
  }
}

export class CallCancelledError extends PowerAutoError {
  constructor(tool: string, cause?: unknown) {
    super('CANCELLED', `${tool} was cancelled by the caller`, { cause });
  }
}

/**
 * The engine itself refused or failed the call (tool result with isError, or a JSON-RPC error answer).
 * Carries the engine's code when it sent a known one (e.g. NOT_IMPLEMENTED), else ENGINE_FAILED.
 */
export class EngineToolError extends PowerAutoError {
  readonly engine: string;
  readonly tool: string;
  /**
   * `usage`: what the failed call spent on a model, as the engine reported it (`LLM_USAGE_META_KEY`).
   * It travels in `details.usage`, which the orchestrator reads without knowing this class.
   */
  constructor(code: ErrorCode, tool: string, engine: string, message: string, usage?: LlmUsageMetrics) {
    super(code, `${tool} failed on engine "${engine}": ${message}`, {
      details: { tool, engine, ...(usage ? { usage } : {}) },
    });
    this.engine = engine;
    this.tool = tool;
  }
}
