import { z } from 'zod';
import { Metrics } from './models.js';

export const TestStatus = z.enum(['passed', 'failed', 'skipped']);

export const TestReport = z.object({
  suites: z.array(z.object({ name: z.string(), passed: z.number().int(), failed: z.number().int() })),
  tests: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      requirementIds: z.array(z.string()),
      status: TestStatus,
      durationMs: z.number(),
      error: z.string().nullable(),
    }),
  ),
  coverage: z.object({ lines: z.number(), branches: z.number(), functions: z.number() }).nullable(),
  traceability: z.array(
    z.object({
      requirementId: z.string(),
      testIds: z.array(z.string()),
      status: z.enum(['passed', 'failed', 'untested']),
    }),
  ),
  passed: z.boolean(),
  metrics: Metrics,
});
export type TestReport = z.infer<typeof TestReport>;
