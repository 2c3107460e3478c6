import { type ErrorCode, PowerAutoError } from '../contracts/errors.js';
import type { LlmUsageMetrics } from '../contracts/mcp-meta.js';

/** What an engine's brain (offline rules, or an LLM later) sees while one tool call runs. */
export interface EngineToolContext {
  /** `runId:stepKey:attempt` from the request `_meta`, when the caller sent one. */
  idempotencyKey: string | undefined;
  signal: AbortSignal;
  progress(progress: number, total?: number, message?: string): Promise<void>;
}

// biome-ignore lint/suspicious/noExplicitAny: inputs are validated against the tool's zod schema before a handler runs.
export type ToolHandler = (input: any, ctx: EngineToolContext) => Promise<Record<string, unknown>>;

/** Handlers by tool name. A tool without a handler answers "not implemented", never fake output. */
export type Brain = Partial<Record<string, ToolHandler>>;

/**
 * A tool call that failed after it had used the model. It keeps the failure's own code and message and
 * carries what the calls spent, which the engine server reports in the error result's `_meta`
 * (`LLM_USAGE_META_KEY`): the calls were billed, so the budgets count them although nothing came out.
 */
export class FailedWithUsageError extends PowerAutoError {
  constructor(
    code: ErrorCode,
    message: string,
    readonly usage: LlmUsageMetrics,
    cause?: unknown,
  ) {
    super(code, message, { cause, details: { usage } });
  }
}
