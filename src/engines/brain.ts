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
