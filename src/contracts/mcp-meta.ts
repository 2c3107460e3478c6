import { z } from 'zod';

/**
 * Keys PowerAutomation puts in MCP `_meta` objects. Shared by the engines (servers) and the
 * coordinator (client), so a third-party engine can honour them too.
 */

/** Request `_meta` key carrying `runId:stepKey:attempt`; unchanged when a call is retried elsewhere. */
export const IDEMPOTENCY_META_KEY = 'powerauto/idempotencyKey';

/** Tool-result `_meta` key carrying the engine's error code when `isError` is true. */
export const ERROR_CODE_META_KEY = 'powerauto/errorCode';

/**
 * Tool-result `_meta` key carrying what a failed call spent on the model (`isError` results only).
 * A successful output carries the same numbers in its `metrics`; a failed one has no output, and its
 * calls were billed all the same, so the budgets must still count them.
 */
export const LLM_USAGE_META_KEY = 'powerauto/llmUsage';

/** LLM usage of one tool call, under the metric names the outputs use (see engines/llm-brain.ts). */
export const LlmUsageMetrics = z.object({
  llmCalls: z.number().int().nonnegative(),
  llmInputTokens: z.number().nonnegative(),
  llmOutputTokens: z.number().nonnegative(),
  llmCostUsd: z.number().nonnegative(),
  /** Calls whose model had no price: `llmCostUsd` undercounts when this is > 0. */
  llmUnpricedCalls: z.number().int().positive().optional(),
});
export type LlmUsageMetrics = z.infer<typeof LlmUsageMetrics>;
