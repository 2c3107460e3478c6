import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { z } from 'zod';
import { type Deployment, Deployment as DeploymentSchema } from '../../contracts/deployment.js';
import { MonitorReportInput, MonitorStartInput, MonitorStopInput } from '../../contracts/engines.js';
import type { MonitoringReport } from '../../contracts/monitoring.js';
import type { RequirementsSpec } from '../../contracts/requirements.js';
import type { Brain, EngineToolContext } from '../brain.js';
import { deploymentHistory, resolveProject } from '../shared/deployment-history.js';
import { PluginUnavailableError } from '../shared/errors.js';
import { parseInput } from '../shared/input.js';
import type { AlertRule, MonitoringSettings } from '../shared/monitoring-settings.js';
import { engineHome, envDir } from '../shared/paths.js';
import { versionOf } from '../shared/release-key.js';
import { findSupervisor } from '../shared/supervisor-api.js';
import { buildReport } from './report.js';
import { loadMonitoringSettings } from './settings.js';
import { readMonitorFiles } from './store.js';
import { Watcher } from './watcher.js';

export interface MonitoringEngineOptions {
  home?: string;
  settings?: MonitoringSettings;
}

const POLL_MS = 250;

/** Alert rules from the spec's non-functional targets (latency and error rate; others are reported). */
export function nfrRules(spec: RequirementsSpec | undefined): AlertRule[] {
  const rules: AlertRule[] = [];
  for (const nfr of spec?.nonFunctional ?? []) {
    const name = `nfr:${nfr.requirementId ?? nfr.metric}`;
    const unit = nfr.unit.toLowerCase();
    const upper = nfr.op === '<' || nfr.op === '<=';
    if (/latency|response/i.test(nfr.metric) && upper && /^(ms|milliseconds?|s|seconds?)$/.test(unit)) {
      const ms = unit.startsWith('s') ? nfr.value * 1000 : nfr.value;
      rules.push({
        name,
        metric: 'p95Ms',
        op: '>',
        threshold: ms,
        severity: 'critical',
        forSamples: 2,
        rollback: true,
      });
    } else if (
      /error/i.test(nfr.metric) &&
      upper &&
      (unit === '%' || unit === 'percent' || unit === 'ratio')
    ) {
      const ratio = unit === 'ratio' ? nfr.value : nfr.value / 100;
      rules.push({
        name,
        metric: 'errorRate',
        op: '>',
        threshold: ratio,
        severity: 'critical',
        forSamples: 1,
        rollback: true,
      });
    }
  }
  return rules;
}

function monitorDir(home: string, project: string, environment: Deployment['environment']): string {
  return join(envDir(home, project, environment), 'monitor');
}

/**
 * Sends each alert transition and action since `since` seen in the files as an MCP progress
 * notification (an alert still firing is news whenever it fired). Polled: an alert that fired and
 * resolved between two polls is still relayed as both.
 */
export async function relayProgress(
  dir: string,
  seen: Set<string>,
  ctx: EngineToolContext,
  since: number,
  total: number,
) {
  const files = await readMonitorFiles(dir).catch(() => null);
  if (files === null) return;
  const elapsed = Date.now() - since;
  const recent = (iso: string | null) => iso !== null && Date.parse(iso) >= since;
  for (const alert of files.alerts) {
    const states = [
      ...(recent(alert.firedAt) || alert.state === 'firing' ? (['firing'] as const) : []),
      ...(alert.state === 'resolved' && recent(alert.resolvedAt) ? (['resolved'] as const) : []),
    ];
    for (const state of states) {
      const key = `${alert.id}:${state}`;
      if (seen.has(key)) continue;
      seen.add(key);
      await ctx
        .progress(elapsed, total, `alert ${state}: ${alert.rule} (${alert.severity}) ${alert.message}`)
        .catch(() => undefined);
    }
  }
  for (const action of files.actions) {
    if (!recent(action.at)) continue;
    const key = `${action.at}:${action.type}:${action.detail}`;
    if (seen.has(key)) continue;
    seen.add(key);
    await ctx
      .progress(elapsed, total, `${action.type} ${action.ok ? 'done' : 'failed'}: ${action.detail}`)
      .catch(() => undefined);
  }
}

async function monitorStart(
  home: string,
  settings: MonitoringSettings,
  input: z.infer<typeof MonitorStartInput>,
  ctx: EngineToolContext,
): Promise<MonitoringReport> {
  const deployment = DeploymentSchema.parse(input.deployment);
  if (deployment.url === '') {
    throw new PluginUnavailableError(
      `${deployment.environment} has no URL to watch (${deployment.plugin}, status ${deployment.status}${deployment.reason ? `: ${deployment.reason}` : ''})`,
    );
  }
  const windowMs = input.watchWindowMs ?? settings.watchWindowMs;
  const extraRules = nfrRules(input.requirements);
  const dir = monitorDir(home, deployment.project, deployment.environment);
  const started = Date.now();
  let watcher: Watcher | null = null;
  const supervisor =
    deployment.plugin === 'local-process'
      ? await findSupervisor(home, deployment.project, deployment.environment)
      : null;
  if (supervisor !== null) {
    // Hosted by the environment's supervisor: it keeps watching (and can roll back) after this call.
    await supervisor.call('POST', '/monitor/start', {
      settings,
      extraRules,
      smokePaths: deployment.smokePaths,
    });
  } else {
    watcher = new Watcher({
      dir,
      project: deployment.project,
      environment: deployment.environment,
      settings,
      extraRules,
      smokePaths: deployment.smokePaths,
      baseUrl: deployment.url,
      target: () => ({
        version: deployment.version,
        pid: deployment.pid,
        metricsUrl: new URL('/metrics', deployment.url).href,
        deployedAt: Date.parse(deployment.createdAt),
      }),
      canRollback: () => false,
    });
    watcher.start();
  }
  const seen = new Set<string>();
  try {
    while (Date.now() - started < windowMs) {
      ctx.signal.throwIfAborted();
      await sleep(Math.min(POLL_MS, windowMs - (Date.now() - started)));
      await relayProgress(dir, seen, ctx, started, windowMs);
    }
  } finally {
    if (watcher !== null) await watcher.stop();
  }
  const files = await readMonitorFiles(dir);
  const state = supervisor === null ? null : ((await supervisor.status().catch(() => null))?.state ?? null);
  return buildReport(files, {
    project: deployment.project,
    environment: deployment.environment,
    url: deployment.url,
    version: versionOf(state?.active ?? null) ?? deployment.version,
    watching: supervisor !== null,
    since: started,
    until: Date.now(),
  });
}

async function monitorReport(
  home: string,
  input: z.infer<typeof MonitorReportInput>,
): Promise<MonitoringReport> {
  const project = await resolveProject(home, input.environment, input.project);
  const files = await readMonitorFiles(monitorDir(home, project, input.environment));
  const supervisor = await findSupervisor(home, project, input.environment);
  const state = supervisor === null ? null : ((await supervisor.status().catch(() => null))?.state ?? null);
  const latest = (await deploymentHistory(home, project, input.environment))
    .filter((d) => d.status !== 'failed')
    .at(-1);
  const since = files.samples[0] === undefined ? Date.now() : Date.parse(files.samples[0].at);
  return buildReport(files, {
    project,
    environment: input.environment,
    url: supervisor?.url ?? latest?.url ?? '',
    version: versionOf(state?.active ?? null) ?? latest?.version ?? null,
    watching: state?.monitoring ?? false,
    since,
    until: Date.now(),
  });
}

async function monitorStop(home: string, input: z.infer<typeof MonitorStopInput>) {
  const project = await resolveProject(home, input.environment, input.project);
  const supervisor = await findSupervisor(home, project, input.environment);
  if (supervisor === null) return { stopped: false, metrics: { watchersStopped: 0 } };
  const before = await supervisor.status();
  await supervisor.call('POST', '/monitor/stop', {});
  return { stopped: before.state.monitoring, metrics: { watchersStopped: before.state.monitoring ? 1 : 0 } };
}

/** The monitoring engine: watches deployments (hosted by their supervisor where there is one). */
export function createMonitoringBrain(options: MonitoringEngineOptions = {}): Brain {
  const home = () => options.home ?? engineHome();
  const settings = async () => options.settings ?? (await loadMonitoringSettings());
  return {
    async monitor_start(raw: unknown, ctx) {
      return monitorStart(home(), await settings(), parseInput(MonitorStartInput, raw), ctx);
    },
    async monitor_report(raw: unknown) {
      return monitorReport(home(), parseInput(MonitorReportInput, raw));
    },
    async monitor_stop(raw: unknown) {
      return monitorStop(home(), parseInput(MonitorStopInput, raw));
    },
  };
}
