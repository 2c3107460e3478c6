import { randomUUID } from 'node:crypto';
import { Deployment, Release } from '../contracts/deployment.js';
import { NotFoundError } from '../contracts/errors.js';
import type { StepExecutor } from '../contracts/executor.js';
import type { Role } from '../contracts/models.js';
import { MonitoringReport } from '../contracts/monitoring.js';
import { now, type Store, type WriteTx } from '../store/store.js';

/**
 * Copies what the deployment and monitoring tools reported into the operations tables, inside the
 * transaction that records the step, so a deployment is never running without a row saying so.
 */
export async function recordOperations(
  store: Store,
  tx: WriteTx,
  runId: string,
  stepKey: string,
  tool: string,
  output: Record<string, unknown>,
): Promise<void> {
  if (tool === 'release_prepare') {
    await store.operations.recordRelease(tx, runId, Release.parse(output));
  } else if (tool === 'deploy' || tool === 'deploy_verify' || tool === 'deploy_rollback') {
    await store.operations.recordDeployment(tx, runId, stepKey, Deployment.parse(output));
  } else if (tool === 'monitor_start' || tool === 'monitor_report') {
    await store.operations.recordMonitoring(tx, runId, MonitoringReport.parse(output));
  }
}

export type StoredSample = Awaited<ReturnType<Store['operations']['samples']>>[number];

export interface DeploymentView {
  id: string;
  runId: string | null;
  project: string;
  environment: string;
  url: string;
  version: string;
  status: string;
  pid: number | null;
  plugin: string;
  updatedAt: string;
  /** Measured now: does `url/health` answer 200? Null when the plugin serves no URL (validated only). */
  live: boolean | null;
}

const LIVE_STATUSES = new Set(['running']);

/**
 * What runs where, and the operations on it. Every engine call goes through the executor (the
 * coordinator), never to an engine directly; every change is audited.
 */
export class OperationsService {
  constructor(
    private readonly store: Store,
    private readonly executor: StepExecutor,
  ) {}

  async deployments(filter: { runId?: string } = {}): Promise<DeploymentView[]> {
    const rows = await this.store.operations.currentDeployments(filter);
    return Promise.all(
      rows.map(async (row) => ({
        id: row.id,
        runId: row.runId,
        project: row.project,
        environment: row.environment,
        url: row.url,
        version: row.version,
        status: row.status,
        pid: row.pid,
        plugin: row.plugin,
        updatedAt: row.updatedAt,
        live:
          LIVE_STATUSES.has(row.status) && row.url.startsWith('http') ? await answersHealth(row.url) : null,
      })),
    );
  }

  /** Stops every environment whose current deployment this run made; returns what was stopped. */
  async stop(runId: string, actor: string): Promise<DeploymentView[]> {
    const mine = (await this.deployments({ runId })).filter((d) => LIVE_STATUSES.has(d.status));
    for (const deployment of mine) {
      if (deployment.environment === 'production') {
        await this.#call(runId, 'monitoring', 'monitor_stop', {
          environment: deployment.environment,
          project: deployment.project,
        }).catch(() => undefined);
      }
      await this.#call(runId, 'deployment', 'deploy_stop', {
        environment: deployment.environment,
        project: deployment.project,
        runId,
      });
      await this.store.transaction(async (tx) => {
        await tx
          .updateTable('deployments')
          .set({ status: 'stopped', updatedAt: now() })
          .where('id', '=', deployment.id)
          .execute();
        await this.store.insertAudit(tx, {
          actor,
          action: 'deployment.stop',
          target: `${runId}/${deployment.environment}`,
          detail: { version: deployment.version },
        });
      });
    }
    return mine;
  }

  async rollback(runId: string, environment: string, reason: string, actor: string): Promise<Deployment> {
    const current = (await this.deployments({ runId })).find((d) => d.environment === environment);
    if (current === undefined) throw new NotFoundError('deployment', `${runId}/${environment}`);
    const output = await this.#call(runId, 'deployment', 'deploy_rollback', {
      environment,
      reason,
      project: current.project,
    });
    const deployment = Deployment.parse(output);
    await this.store.transaction(async (tx) => {
      await this.store.operations.recordDeployment(tx, runId, `ops:rollback:${environment}`, deployment);
      await this.store.insertAudit(tx, {
        actor,
        action: 'deployment.rollback',
        target: `${runId}/${environment}`,
        detail: { reason, from: current.version, to: deployment.version },
      });
    });
    return deployment;
  }

  /** A fresh report from the monitoring engine, its samples kept; the stored series if it cannot answer. */
  async monitoring(
    runId: string,
    environment: string,
  ): Promise<{ source: 'live' | 'stored'; report: MonitoringReport | null; samples: StoredSample[] }> {
    const current = (await this.deployments({ runId })).find((d) => d.environment === environment);
    if (current === undefined) throw new NotFoundError('deployment', `${runId}/${environment}`);
    try {
      const report = MonitoringReport.parse(
        await this.#call(runId, 'monitoring', 'monitor_report', { environment, project: current.project }),
      );
      await this.store.transaction((tx) => this.store.operations.recordMonitoring(tx, runId, report));
      return { source: 'live', report, samples: await this.store.operations.samples(runId, environment) };
    } catch (err) {
      const samples = await this.store.operations.samples(runId, environment);
      if (samples.length === 0) throw err;
      return { source: 'stored', report: null, samples };
    }
  }

  #call(
    runId: string,
    role: Role,
    tool: string,
    input: Record<string, unknown>,
  ): Promise<Record<string, unknown>> {
    const stepKey = `ops:${tool}`;
    return this.executor.callTool(
      {
        role,
        tool,
        input,
        runId,
        stepKey,
        attempt: 1,
        idempotencyKey: `${runId}:${stepKey}:${randomUUID()}`,
      },
      { signal: AbortSignal.timeout(120_000) },
    );
  }
}

async function answersHealth(url: string): Promise<boolean> {
  try {
    const response = await fetch(new URL('/health', url), { signal: AbortSignal.timeout(2_000) });
    await response.body?.cancel();
    return response.status === 200;
  } catch {
    return false;
  }
}
