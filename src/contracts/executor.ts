import type { Role } from './models.js';

/**
 * The seam between the orchestrator and whatever runs engine tools.
 * The MCPCoordinator implements it; tests use recording executors.
 */
export interface ToolCall {
  role: Role;
  tool: string;
  input: Record<string, unknown>;
  runId: string;
  stepKey: string;
  attempt: number;
  /** `runId:stepKey:attempt`, sent to the engine in the MCP request `_meta`. */
  idempotencyKey: string;
}

export interface ToolProgress {
  progress: number;
  total?: number;
  message?: string;
}

export interface ToolCallContext {
  signal: AbortSignal;
  /**
   * Progress is asked of the engine only when this is given, and only progress can reset a call's
   * per-attempt timeout; without it the timeout bounds each attempt as it stands.
   */
  onProgress?: (progress: ToolProgress) => void;
}

export interface StepExecutor {
  /** Resolves with the tool's structured output, already validated against the role contract. */
  callTool(call: ToolCall, ctx: ToolCallContext): Promise<Record<string, unknown>>;
}

export function idempotencyKey(runId: string, stepKey: string, attempt: number): string {
  return `${runId}:${stepKey}:${attempt}`;
}
