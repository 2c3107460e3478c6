import { z } from 'zod';
import { Metrics } from './models.js';

// Draft: the coding engine issue completes these shapes.

export const CodeReport = z.object({
  files: z.array(z.object({ path: z.string(), bytes: z.number().int() })),
  commit: z.string().nullable(),
  summary: z.string(),
  unresolved: z.array(z.string()).default([]),
  metrics: Metrics,
});
export type CodeReport = z.infer<typeof CodeReport>;

export const StaticAnalysisReport = z.object({
  typecheck: z.object({ ok: z.boolean(), errors: z.array(z.string()) }),
  lint: z.object({ ok: z.boolean(), errors: z.array(z.string()) }),
  build: z.object({ ok: z.boolean(), output: z.string() }),
  findings: z.array(
    z.object({ rule: z.string(), file: z.string(), line: z.number().int(), message: z.string() }),
  ),
  metrics: Metrics,
});
export type StaticAnalysisReport = z.infer<typeof StaticAnalysisReport>;
