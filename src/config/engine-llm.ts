import { z } from 'zod';
import { LlmConfig } from './llm.js';

/**
 * The `llm` section of the configuration file: the LLM layer's config plus what the engines decide on
 * their own. `fallback: 'offline'` (default) answers with the offline brain when the provider fails,
 * recording why in the output's `producedBy.fallbackReason`; `'fail'` fails the tool call instead.
 */
export const EngineLlmConfig = z.intersection(
  LlmConfig,
  z.object({ fallback: z.enum(['offline', 'fail']).default('offline') }),
);
export type EngineLlmConfig = z.output<typeof EngineLlmConfig>;
export type EngineLlmConfigInput = z.input<typeof EngineLlmConfig>;
