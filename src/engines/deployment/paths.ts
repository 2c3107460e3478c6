import { createHash } from 'node:crypto';
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

export function artifactsDir(home: string): string {
  return resolve(deploymentsRoot(home), 'artifacts');
}

export function idempotencyFile(home: string, key: string): string {
  const digest = createHash('sha256').update(key).digest('hex').slice(0, 32);
  return resolve(deploymentsRoot(home), 'idempotency', `${digest}.json`);
}

/** A name safe as a folder, a docker image and a Kubernetes object name. */
export function safeName(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/^@[^/]+\//, '')
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 50)
    .replace(/-+$/g, '');
  return slug.length > 0 ? slug : 'service';
}
