/**
 * Where engines keep their files under $POWERAUTO_HOME: the deployment and monitoring engines share
 * one tree per environment (supervisor state, releases, monitor files).
 */
import { resolve } from 'node:path';
import type { Environment } from '../../contracts/deployment.js';

/** `$POWERAUTO_HOME` as the engines see it (they never touch the orchestrator's store). */
export function engineHome(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.POWERAUTO_HOME ?? '.powerauto');
}

/** Everything the deployment and monitoring engines keep lives under here. */
export function deploymentsRoot(home: string): string {
  return resolve(home, 'deployments');
}

export function siteDir(home: string, project: string): string {
  return resolve(deploymentsRoot(home), 'sites', project);
}

/** One environment of one site: supervisor state, logs, releases, monitor files. */
export function envDir(home: string, project: string, environment: Environment): string {
  return resolve(siteDir(home, project), environment);
}
