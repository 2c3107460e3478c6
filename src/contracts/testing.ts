import { z } from 'zod';
import { Metrics } from './models.js';
import { ProducedBy } from './produced-by.js';

export const TestStatus = z.enum(['passed', 'failed', 'skipped']);

export const SandboxViolation = z.object({
  /** SANDBOX_VIOLATION (file system, environment, network) or TIMEOUT. */
  code: z.enum(['SANDBOX_VIOLATION', 'TIMEOUT']),
  kind: z.enum(['filesystem', 'environment', 'network', 'time', 'memory', 'processes']),
  message: z.string(),
  testId: z.string().nullable(),
});

/**
 * test_run result. Metrics: testsTotal, testsFailed, testsPassed, mustHavesWithoutPassingTest,
 * lineCoverage / branchCoverage / functionCoverage (percent; absent when not measured),
 * sandboxViolations, durationMs.
 */
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
      /** unit | integration | build | sandbox */
      phase: z.string().optional(),
      /** The test file, relative to the workspace, when there is one. */
      file: z.string().optional(),
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
  /** What the sandbox enforced on this host, measured by a probe, and what it stopped. */
  sandbox: z
    .object({
      /** `none` when the run was configured to go without a jail (`sandbox: none`). */
      mode: z.enum(['auto', 'none']).optional(),
      filesystem: z.string(),
      network: z.string(),
      capabilities: z.string(),
      processes: z.string(),
      user: z.string().optional(),
      proc: z.string().optional(),
      /** Which kernel limits held for the jail (cgroup v2/v1 or none, and why). */
      limits: z
        .record(
          z.string(),
          z.object({ enforcedBy: z.string(), max: z.number().nullable(), reason: z.string().nullable() }),
        )
        .nullable()
        .optional(),
      memoryMb: z.number(),
      timeoutMs: z.number(),
      reason: z.string().nullable(),
      violations: z.array(SandboxViolation),
    })
    .optional(),
  metrics: Metrics,
  producedBy: ProducedBy.optional(),
});
export type TestReport = z.infer<typeof TestReport>;
