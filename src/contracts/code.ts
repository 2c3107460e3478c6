import { z } from 'zod';
import { line, prose, REQUIREMENT_ID, RelativePath } from './fields.js';
import { Metrics } from './models.js';
import { ProducedBy } from './produced-by.js';

/**
 * code_generate / code_fix result. Metrics are measured on the files written:
 * generate: files, linesOfCode, entities, operations, operationsUnimplemented, businessRules, requirementTests;
 * fix: fixed (1 when files were restored, else 0), filesRestored, failures, unresolved.
 */
/** A requirement id, or `*` for shared plumbing every request crosses. */
const FileRequirement = line(16).refine((s) => s === '*' || REQUIREMENT_ID.test(s), {
  error: 'must be a requirement id such as REQ-001, or *',
});

export const CodeReport = z.object({
  files: z.array(
    z.object({
      path: RelativePath,
      bytes: z.number().int(),
      requirementIds: z.array(FileRequirement).default([]),
    }),
  ),
  commit: line(64)
    .refine((s) => /^[0-9a-f]{7,64}$/.test(s), { error: 'must be a git commit id' })
    .nullable(),
  summary: prose(50_000),
  /** What the generator could not turn into code (unparsed rules, unsupported operations). */
  notes: z.array(prose(4_000)).default([]),
  /** Failures code_fix could not repair, each with its reason; non-empty ends the fix loop. */
  unresolved: z.array(prose(20_000)).default([]),
  metrics: Metrics,
  producedBy: ProducedBy.optional(),
});
export type CodeReport = z.infer<typeof CodeReport>;

/**
 * code_analyze result. Metrics: typeErrors, lintErrors, buildOk (1/0), files, linesOfCode,
 * maxComplexity, securityFindings.
 */
export const StaticAnalysisReport = z.object({
  typecheck: z.object({ ok: z.boolean(), errors: z.array(z.string()) }),
  lint: z.object({ ok: z.boolean(), errors: z.array(z.string()), tool: z.string().default('biome') }),
  build: z.object({ ok: z.boolean(), output: z.string() }),
  findings: z.array(
    z.object({ rule: z.string(), file: z.string(), line: z.number().int(), message: z.string() }),
  ),
  /** The most complex functions first (cyclomatic complexity). */
  complexity: z
    .array(
      z.object({ file: z.string(), name: z.string(), line: z.number().int(), complexity: z.number().int() }),
    )
    .default([]),
  metrics: Metrics,
  producedBy: ProducedBy.optional(),
});
export type StaticAnalysisReport = z.infer<typeof StaticAnalysisReport>;
