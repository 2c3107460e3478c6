/** Public API of the LLM layer. Engines import from here only. */
export {
  type BudgetCheck,
  type Budgets,
  type CostEstimate,
  costOf,
  estimateCost,
  estimateTokens,
  type PriceTable,
  priceFor,
  type UsageKeys,
  UsageMeter,
  type UsageRecord,
  type UsageTotals,
} from './accounting.js';
export {
  type CallResult,
  type ClientCallOptions,
  type ClientStreamEvent,
  LlmClient,
  type LlmClientOptions,
} from './client.js';
export {
  BudgetExceededError,
  LlmCancelledError,
  LlmCassetteMissError,
  LlmError,
  LlmOutputInvalidError,
  LlmTimeoutError,
} from './errors.js';
export { type CreateLlmOptions, createLlm, createProvider, Llm } from './factory.js';
export { AnthropicProvider } from './providers/anthropic.js';
export { LlamaCppProvider, loadNodeLlamaCpp, NODE_LLAMA_CPP_VERSION } from './providers/llama-cpp.js';
export { OllamaProvider } from './providers/ollama.js';
export { OpenAiProvider } from './providers/openai.js';
export { cassetteKey, type ReplayMode, ReplayProvider, stableStringify } from './providers/replay.js';
export { redactSecrets } from './redact.js';
export {
  DEFAULT_RETRY_POLICY,
  parseRetryAfter,
  type RetryInfo,
  type RetryPolicy,
  withRetry,
} from './retry.js';
export { jsonSchemaOf, openAiStrictSchema, toGbnfSchema } from './schema.js';
export { generateStructured, type StructuredRequest, type StructuredResult } from './structured.js';
export type {
  CallOptions,
  CompletionRequest,
  CompletionResult,
  JsonSchema,
  LlmProvider,
  Message,
  ProviderType,
  ResponseFormat,
  StopReason,
  StreamEvent,
  ToolCall,
  ToolChoice,
  ToolDefinition,
  Usage,
} from './types.js';
