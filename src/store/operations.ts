import type { Deployment, Release } from '../contracts/deployment.js';
import type { Alert, MonitoringReport, MonitoringSample } from '../contracts/monitoring.js';
import type { Db, Tx } from './db.js';
import { newId, now } from './ids.js';

/**
 * Releases, deployments, alerts and monitoring samples: copies of what the deployment and monitoring
 * engines reported, kept so the CLI, API and AdminBoard can answer without asking an engine.
 */
export class OperationsStore {
  constructor(private readonly db: Db) {}

  async recordRelease(tx: Tx, runId: string, release: Release): Promise<void> {
    await tx
      .insertInto('releases')
      .values({
        id: newId('rel'),
        runId,
        project: release.project,
        version: release.version,
        previousVersion: release.previousVersion,
        bump: release.bump,
        tag: release.tag,
        commit: release.commit,
        artifactPath: release.artifactPath,
        sha256: release.sha256,
        notes: release.notes,
        requirementIds: JSON.stringify(release.requirementIds),
        files: JSON.stringify(release.files),
        metrics: JSON.stringify(release.metrics),
        createdAt: release.createdAt,
      })
      .execute();
  }

  /** One row per deployment id; later reports of the same deployment (verify, rollback) update it. */
  async recordDeployment(tx: Tx, runId: string, stepKey: string, deployment: Deployment): Promise<void> {
    const row = {
      runId,
      stepKey,
      idempotencyKey: deployment.idempotencyKey,
      project: deployment.project,
      environment: deployment.environment,
      plugin: deployment.plugin,
      url: deployment.url,
      version: deployment.version,
      previousVersion: deployment.previousVersion,
      status: deployment.status,
      pid: deployment.pid,
      reason: deployment.reason,
      smoke: JSON.stringify(deployment.smoke),
      metrics: JSON.stringify(deployment.metrics),
      updatedAt: now(),
    };
    await tx
      .insertInto('deployments')
      .values({ id: deployment.id, ...row, createdAt: deployment.createdAt })
      .onConflict((oc) => oc.column('id').doUpdateSet(row))
      .execute();
  }

  async recordMonitoring(tx: Tx, runId: string, report: MonitoringReport): Promise<void> {
    for (const alert of report.alerts) await this.#upsertAlert(tx, runId, report.project, alert);
    for (const sample of report.series) await this.#insertSample(tx, runId, report, sample);
  }

  async #upsertAlert(tx: Tx, runId: string, project: string, alert: Alert): Promise<void> {
    const row = {
      runId,
      project,
      environment: alert.environment,
      version: alert.version,
      rule: alert.rule,
      severity: alert.severity,
      state: alert.state,
      message: alert.message,
      value: alert.value,
      threshold: alert.threshold,
      firedAt: alert.firedAt,
      resolvedAt: alert.resolvedAt,
    };
    await tx
      .insertInto('alerts')
      .values({ id: alert.id, ...row })
      .onConflict((oc) => oc.column('id').doUpdateSet(row))
      .execute();
  }

  async #insertSample(
    tx: Tx,
    runId: string,
    report: MonitoringReport,
    sample: MonitoringSample,
  ): Promise<void> {
    await tx
      .insertInto('monitoringSamples')
      .values({
        project: report.project,
        environment: report.environment,
        at: sample.at,
        runId,
        version: sample.version,
        healthy: sample.healthy ? 1 : 0,
        requests: sample.requests,
        errors: sample.errors,
        requestRate: sample.requestRate,
        errorRate: sample.errorRate,
        p50Ms: sample.p50Ms,
        p95Ms: sample.p95Ms,
        cpuPercent: sample.cpuPercent,
        memoryMb: sample.memoryMb,
      })
      .onConflict((oc) => oc.columns(['project', 'environment', 'at']).doNothing())
      .execute();
  }

  /** The latest deployment per project and environment, newest first. */
  async currentDeployments(filter: { runId?: string } = {}) {
    let query = this.db.selectFrom('deployments').selectAll().orderBy('updatedAt', 'desc');
    if (filter.runId !== undefined) query = query.where('runId', '=', filter.runId);
    const rows = await query.execute();
    const seen = new Set<string>();
    return rows.filter((row) => {
      const key = `${row.project}/${row.environment}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }

  async listReleases(runId?: string) {
    let query = this.db.selectFrom('releases').selectAll().orderBy('createdAt', 'desc');
    if (runId !== undefined) query = query.where('runId', '=', runId);
    return query.execute();
  }

  async listAlerts(filter: { runId?: string; state?: string } = {}) {
    let query = this.db.selectFrom('alerts').selectAll().orderBy('firedAt', 'desc');
    if (filter.runId !== undefined) query = query.where('runId', '=', filter.runId);
    if (filter.state !== undefined) query = query.where('state', '=', filter.state);
    return query.execute();
  }

  async samples(runId: string, environment: string, limit = 720) {
    const rows = await this.db
      .selectFrom('monitoringSamples')
      .selectAll()
      .where('runId', '=', runId)
      .where('environment', '=', environment)
      .orderBy('at', 'desc')
      .limit(limit)
      .execute();
    return rows.reverse();
  }
}
