import { z } from 'zod';

/**
 * Which brain produced an engine output. Absent when the engine has no LLM configured (offline only).
 * `fallbackReason` is set when the LLM brain failed and the offline brain answered instead.
 */
export const ProducedBy = z.object({
  brain: z.enum(['offline', 'llm']),
  provider: z.string().optional(),
  model: z.string().optional(),
  fallbackReason: z.string().optional(),
});
export type ProducedBy = z.infer<typeof ProducedBy>;
