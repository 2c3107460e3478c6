import type { Deployment } from '../../contracts/deployment.js';
import { deploymentHistory, knownEnvironments } from '../shared/deployment-history.js';
import { versionOf } from '../shared/release-key.js';
import { findSupervisor } from '../shared/supervisor-api.js';
import {
  createDeploymentBrain,
  type DeploymentEngineOptions,
  type StopFilter,
  type StoppedEnvironment,
  stopMatching,
} from './engine.js';
import { PluginRegistry } from './plugins/registry.js';
import { loadDeploymentSettings } from './settings.js';

export type { DeploymentPlugin, PluginContext, PluginStatus } from './plugins/types.js';
export type { DeploymentEngineOptions, StopFilter, StoppedEnvironment };
export { createDeploymentBrain, PluginRegistry };

/** One row of `powerauto deployments`: each environment's current deployment, status checked live. */
export interface DeploymentListing extends Deployment {
  /** The supervisor answers and the release process is alive (local-process), right now. */
  live: boolean;
}

/**
 * The current deployment of every (service, environment) under `home`, newest record per
 * environment, with status corrected by a live check (a record says running but nothing runs:
 * `stopped`). For the CLI's `powerauto deployments`.
 */
export async function listDeployments(home: string): Promise<DeploymentListing[]> {
  const rows: DeploymentListing[] = [];
  for (const target of await knownEnvironments(home)) {
    const history = await deploymentHistory(home, target.project, target.environment);
    const current = history.filter((d) => d.status !== 'failed').at(-1) ?? history.at(-1);
    if (current === undefined) continue;
    if (current.plugin !== 'local-process') {
      rows.push({ ...current, live: false });
      continue;
    }
    const supervisor = await findSupervisor(home, target.project, target.environment);
    const state = supervisor === null ? null : ((await supervisor.status().catch(() => null))?.state ?? null);
    const active = state?.active == null ? undefined : state.releases.find((r) => r.version === state.active);
    const live = active !== undefined && active.pid !== null;
    rows.push({
      ...current,
      version: versionOf(active?.version ?? null) ?? current.version,
      pid: live ? (active?.pid ?? null) : null,
      status: live ? 'running' : current.status === 'running' ? 'stopped' : current.status,
      live,
    });
  }
  return rows;
}

/**
 * Stops deployments under `home` and leaves no process behind (each stopped environment's
 * supervisor and release processes are checked gone). With `runId`, only environments whose
 * current deployment that run made: `powerauto stop RUN`.
 */
export async function stopDeployments(home: string, filter: StopFilter = {}): Promise<StoppedEnvironment[]> {
  const settings = await loadDeploymentSettings({ ...process.env, POWERAUTO_HOME: home });
  return stopMatching({ home, settings, registry: new PluginRegistry(home, settings.plugins) }, filter);
}
