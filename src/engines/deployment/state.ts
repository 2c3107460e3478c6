import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { Deployment, Environment } from '../../contracts/deployment.js';
import { BadInputError } from '../../contracts/errors.js';
import { readJson, writeJsonAtomic } from '../shared/files.js';
import { deploymentsRoot, envDir } from '../shared/paths.js';
import { idempotencyFile } from './paths.js';

const HISTORY_LIMIT = 100;
const History = z.array(Deployment);

const Completed = z.object({
  tool: z.string(),
  key: z.string(),
  at: z.string(),
  output: z.record(z.string(), z.unknown()),
});

/** The output a tool gave for this idempotency key before, if it completed. */
export async function completedOutput(
  home: string,
  tool: string,
  key: string | undefined,
): Promise<Record<string, unknown> | undefined> {
  if (key === undefined) return undefined;
  const done = await readJson(idempotencyFile(home, `${tool}\n${key}`), Completed);
  return done?.output;
}

export async function rememberOutput(
  home: string,
  tool: string,
  key: string | undefined,
  output: Record<string, unknown>,
): Promise<void> {
  if (key === undefined) return;
  await writeJsonAtomic(idempotencyFile(home, `${tool}\n${key}`), {
    tool,
    key,
    at: new Date().toISOString(),
    output,
  });
}

/** Runs `task` once per (tool, key): a repeat with the same key answers the first result. */
export async function oncePerKey<T extends Record<string, unknown>>(
  home: string,
  tool: string,
  key: string | undefined,
  schema: z.ZodType<T>,
  task: () => Promise<T>,
): Promise<T> {
  const previous = await completedOutput(home, tool, key);
  if (previous !== undefined) {
    const parsed = schema.safeParse(previous);
    if (parsed.success) return parsed.data;
  }
  const output = await task();
  await rememberOutput(home, tool, key, output);
  return output;
}

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
