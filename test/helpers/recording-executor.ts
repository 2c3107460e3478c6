import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { StepExecutor, ToolCall, ToolCallContext } from '../../src/contracts/executor.js';

/** Metrics that pass the default quality gates, by tool. */
export const PASSING_METRICS: Record<string, Record<string, number>> = {
  requirements_analyze: {
    functionalRequirements: 3,
    mustHavesWithoutAcceptanceCriteria: 0,
    sentenceCoverage: 1,
  },
  architecture_design: { mustHavesUntraced: 0, openapiValid: 1 },
  code_analyze: { typeErrors: 0, lintErrors: 0, buildOk: 1 },
  test_run: { testsFailed: 0, mustHavesWithoutPassingTest: 0, lineCoverage: 90 },
  deploy_verify: { healthStatus: 200, smokeFailed: 0 },
  monitor_start: { errorRate: 0, p95LatencyMs: 10, rollbacks: 0 },
};

export interface RecordedCall extends ToolCall {
  startedAt: number;
  finishedAt: number | null;
}

type Behaviour = (
  call: ToolCall,
  ctx: ToolCallContext,
) => Promise<Record<string, unknown>> | Record<string, unknown>;

/**
 * A test engine set: records every call with its idempotency key, writes a file per step into the
 * workspace (a visible side effect), and answers with metrics that pass the default gates.
 */
export class RecordingExecutor implements StepExecutor {
  readonly calls: RecordedCall[] = [];
  readonly #delayMs: number;
  readonly #behaviours: Record<string, Behaviour>;

  constructor(options: { delayMs?: number; behaviours?: Record<string, Behaviour> } = {}) {
    this.#delayMs = options.delayMs ?? 0;
    this.#behaviours = options.behaviours ?? {};
  }

  async callTool(call: ToolCall, ctx: ToolCallContext): Promise<Record<string, unknown>> {
    const record: RecordedCall = { ...call, startedAt: performance.now(), finishedAt: null };
    this.calls.push(record);
    if (this.#delayMs > 0) await sleep(this.#delayMs, undefined, { signal: ctx.signal });
    const behaviour = this.#behaviours[call.stepKey] ?? this.#behaviours[call.tool];
    const output = behaviour === undefined ? defaultOutput(call) : await behaviour(call, ctx);
    const workspace = call.input.workspace;
    if (typeof workspace === 'string') {
      await mkdir(join(workspace, 'stages'), { recursive: true });
      await writeFile(join(workspace, 'stages', `${call.stepKey}.txt`), `${call.idempotencyKey}\n`);
    }
    record.finishedAt = performance.now();
    return output;
  }

  keysFor(stepKey: string): string[] {
    return this.calls.filter((c) => c.stepKey === stepKey).map((c) => c.idempotencyKey);
  }
}

export function defaultOutput(call: ToolCall): Record<string, unknown> {
  const metrics = PASSING_METRICS[call.tool] ?? {};
  const operational = OPERATIONAL_OUTPUTS[call.tool]?.(call);
  return operational === undefined
    ? { tool: call.tool, feedback: call.input.feedback ?? null, metrics }
    : { metrics, ...operational };
}

const at = '2026-01-01T00:00:00.000Z';

/** Tools whose results the orchestrator records as releases, deployments and alerts: contract-valid. */
const OPERATIONAL_OUTPUTS: Record<string, (call: ToolCall) => Record<string, unknown>> = {
  release_prepare: () => ({
    project: 'svc',
    version: '1.0.0',
    previousVersion: null,
    bump: 'initial',
    tag: 'v1.0.0',
    commit: 'c0ffee',
    notes: 'first release',
    requirementIds: ['REQ-001'],
    artifactPath: '/tmp/svc-1.0.0.tgz',
    sha256: 'a'.repeat(64),
    files: {
      changelog: 'CHANGELOG.md',
      notes: 'RELEASE.md',
      dockerfile: 'Dockerfile',
      kubernetes: [],
      prometheus: 'p.yml',
      manifest: 'm.json',
    },
    createdAt: at,
  }),
  deploy: (call) => deployment(call),
  deploy_verify: (call) => deployment(call),
  monitor_start: () => ({
    project: 'svc',
    environment: 'production',
    url: 'http://127.0.0.1:1',
    version: '1.0.0',
    watching: false,
    window: { startedAt: at, endedAt: at },
    routes: [],
    alerts: [],
    actions: [],
    suggestions: [],
    series: [],
  }),
};

function deployment(call: ToolCall): Record<string, unknown> {
  const environment =
    (call.input.environment as string | undefined) ??
    (call.input.deployment as { environment?: string } | undefined)?.environment ??
    'staging';
  return {
    id: `dep-${call.runId}-${environment}`,
    project: 'svc',
    environment,
    // Nothing listens on port 1: a health probe of this "deployment" honestly fails.
    url: 'http://127.0.0.1:1',
    version: '1.0.0',
    previousVersion: null,
    status: 'running',
    pid: null,
    plugin: 'test',
    runId: call.runId,
    idempotencyKey: call.idempotencyKey,
    createdAt: at,
  };
}
