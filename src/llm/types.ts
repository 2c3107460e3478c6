/** The one interface every model provider implements, and the shapes that cross it. */

/** A JSON Schema object (draft 2020-12), as produced by `z.toJSONSchema()`. */
export type JsonSchema = Record<string, unknown>;

export interface ToolCall {
  /** Provider-assigned id, echoed back in the tool result. */
  id: string;
  name: string;
  /** Parsed arguments; `{}` when the model sent none. */
  arguments: Record<string, unknown>;
}

export type Message =
  | { role: 'user'; content: string }
  | { role: 'assistant'; content: string; toolCalls?: ToolCall[] }
  /** The answer to one tool call of the previous assistant message. */
  | { role: 'tool'; toolCallId: string; name: string; content: string; isError?: boolean };

export interface ToolDefinition {
  name: string;
  description?: string;
  /** JSON schema of the arguments object. */
  parameters: JsonSchema;
}

export type ToolChoice = 'auto' | 'none' | 'required' | { name: string };

export type ResponseFormat =
  | { type: 'text' }
  /**
   * JSON matching `schema`. Providers use their strongest mechanism (schema-constrained decoding, a forced
   * tool, JSON mode plus the schema in the prompt); callers still validate, see `generateStructured`.
   */
  | { type: 'json_schema'; name: string; schema: JsonSchema };

export interface CompletionRequest {
  system?: string;
  messages: Message[];
  tools?: ToolDefinition[];
  toolChoice?: ToolChoice;
  responseFormat?: ResponseFormat;
  /** Output token cap for this call; defaults to the provider's configured `maxTokens`. */
  maxTokens?: number;
  temperature?: number;
}

export interface Usage {
  inputTokens: number;
  outputTokens: number;
}

export type StopReason = 'stop' | 'length' | 'tool_calls' | 'other';

export interface CompletionResult {
  /** The model's text (empty when it only called tools). */
  text: string;
  toolCalls: ToolCall[];
  /**
   * For `json_schema` requests: the JSON text the model produced, wherever the provider put it
   * (message body, or a forced tool's input). Not yet validated.
   */
  json?: string;
  usage: Usage;
  stopReason: StopReason;
  /** The model that answered, as the provider reported it. */
  model: string;
}

export type StreamEvent =
  | { type: 'text'; delta: string }
  | { type: 'tool_call'; call: ToolCall }
  /** Always the last event: the whole result, as `complete` would have returned it. */
  | { type: 'done'; result: CompletionResult };

export interface CallOptions {
  signal?: AbortSignal;
}

export type ProviderType = 'openai' | 'anthropic' | 'ollama' | 'llama-cpp' | 'replay';

/**
 * One attempt at one model call. Providers do not retry, price or account: `LlmClient` does that around
 * them, the same way for every provider. Errors are `LlmError` (with `retryable`/`retryAfterMs`) or
 * `LlmCancelledError`, and never contain the API key.
 */
export interface LlmProvider {
  /** The configured name (e.g. `cheap`), used with the model as the price key. */
  readonly name: string;
  readonly type: ProviderType;
  readonly model: string;
  /** True when `json_schema` output is grammar/schema constrained, so it cannot be malformed. */
  readonly constrainedDecoding: boolean;
  complete(req: CompletionRequest, opts?: CallOptions): Promise<CompletionResult>;
  stream(req: CompletionRequest, opts?: CallOptions): AsyncIterable<StreamEvent>;
  /** Release sockets, native models; idempotent. */
  close?(): Promise<void>;
}
