import type {
  Deployment,
  Environment,
  Release,
  ReleaseIsolation,
  SmokeCheck,
} from '../../../contracts/deployment.js';
import type { DeploymentSettings } from '../settings.js';

/** What every plugin call gets: where engine state lives, the settings, and a way to report progress. */
export interface PluginContext {
  home: string;
  settings: DeploymentSettings;
  signal: AbortSignal;
  progress(message: string): Promise<void>;
}

export interface DeployRequest {
  release: Release;
  environment: Environment;
  workspace: string;
  /** Who asked: `runId:stepKey:attempt`, or null. */
  deployedBy: string | null;
}

export interface PluginDeployResult {
  url: string;
  status: Deployment['status'];
  pid: number | null;
  previousVersion: string | null;
  reason: string | null;
  logFile: string | null;
  metrics: Record<string, number>;
  /** What isolated the release (local-process). */
  isolation?: ReleaseIsolation | null;
}

export interface EnvironmentRef {
  project: string;
  environment: Environment;
}

/** What a plugin can say about an environment right now. */
export interface PluginStatus {
  project: string;
  environment: Environment;
  url: string | null;
  /** The release taking traffic, or null. */
  version: string | null;
  previousVersion: string | null;
  pid: number | null;
  status: Deployment['status'];
  detail: string;
}

export interface VerifyResult {
  healthStatus: number;
  checks: SmokeCheck[];
}

/**
 * A deployment target. Built-ins: `local-process` (default), `docker`, `kubernetes`; more can be
 * loaded from a module path or npm package named in config (`deployment.plugins`), exporting a
 * `plugin` (or default) object of this shape. A plugin that cannot run here says so (throws
 * PluginUnavailableError, or returns status `unavailable`/`validated` with the reason) and never
 * reports a success it did not have.
 */
export interface DeploymentPlugin {
  readonly name: string;
  deploy(request: DeployRequest, ctx: PluginContext): Promise<PluginDeployResult>;
  /** Live checks: health + smoke GETs against the deployment's URL. */
  verify(deployment: Deployment, smokePaths: string[], ctx: PluginContext): Promise<VerifyResult>;
  /** Traffic back to the previous release; the returned status describes the environment after it. */
  rollback(target: EnvironmentRef, reason: string, ctx: PluginContext): Promise<PluginStatus>;
  /** Stops everything of the environment; returns the process ids that were running, if any. */
  stop(target: EnvironmentRef, ctx: PluginContext): Promise<{ stopped: boolean; pids: number[] }>;
  status(target: EnvironmentRef, ctx: PluginContext): Promise<PluginStatus | null>;
}
