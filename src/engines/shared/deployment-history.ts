/**
 * Each environment's deployment records (`deployments.json` in its folder) and the sites that have
 * state: the deployment engine writes them, the monitoring engine reads them back.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { Deployment, Environment } from '../../contracts/deployment.js';
import { BadInputError } from '../../contracts/errors.js';
import { readJson, writeJsonAtomic } from './files.js';
import { deploymentsRoot, envDir } from './paths.js';

const HISTORY_LIMIT = 100;
const History = z.array(Deployment);

function historyFile(home: string, project: string, environment: Environment): string {
  return join(envDir(home, project, environment), 'deployments.json');
}

export async function deploymentHistory(
  home: string,
  project: string,
  environment: Environment,
): Promise<Deployment[]> {
  return (await readJson(historyFile(home, project, environment), History)) ?? [];
}

/** Adds or replaces (by id) a deployment record in its environment's history. */
export async function recordDeployment(home: string, deployment: Deployment): Promise<void> {
  const history = await deploymentHistory(home, deployment.project, deployment.environment);
  const rest = history.filter((d) => d.id !== deployment.id);
  rest.push(deployment);
  await writeJsonAtomic(
    historyFile(home, deployment.project, deployment.environment),
    rest.slice(-HISTORY_LIMIT),
  );
}

/** Every (site, environment) the engine has state for. */
export async function knownEnvironments(
  home: string,
): Promise<{ project: string; environment: Environment }[]> {
  const sites = await readdir(join(deploymentsRoot(home), 'sites')).catch(() => [] as string[]);
  const out: { project: string; environment: Environment }[] = [];
  for (const project of sites.sort()) {
    for (const environment of Environment.options) {
      const entries = await readdir(envDir(home, project, environment)).catch(() => null);
      if (entries !== null) out.push({ project, environment });
    }
  }
  return out;
}

/** The site an environment-only request means: the one named, or the only one that has it. */
export async function resolveProject(
  home: string,
  environment: Environment,
  project: string | undefined,
): Promise<string> {
  if (project !== undefined) return project;
  const sites = (await knownEnvironments(home))
    .filter((e) => e.environment === environment)
    .map((e) => e.project);
  if (sites.length === 1 && sites[0] !== undefined) return sites[0];
  if (sites.length === 0) throw new BadInputError(`nothing has been deployed to ${environment}`);
  throw new BadInputError(
    `several services are deployed to ${environment} (${sites.join(', ')}): name the project`,
  );
}
