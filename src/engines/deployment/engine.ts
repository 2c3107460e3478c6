import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import {
  type Deployment,
  Deployment as DeploymentSchema,
  Release as ReleaseSchema,
  type SmokeCheck,
} from '../../contracts/deployment.js';
import {
  DeployInput,
  DeployRollbackInput,
  DeployStopInput,
  DeployVerifyInput,
  ReleasePrepareInput,
} from '../../contracts/engines.js';
import { errorMessage } from '../../contracts/errors.js';
import type { Brain, EngineToolContext } from '../brain.js';
import {
  deploymentHistory,
  knownEnvironments,
  recordDeployment,
  resolveProject,
} from '../shared/deployment-history.js';
import { parseInput } from '../shared/input.js';
import { engineHome } from '../shared/paths.js';
import { VerifyFailedError } from './errors.js';
import { PluginRegistry } from './plugins/registry.js';
import type { DeploymentPlugin, PluginContext, VerifyResult } from './plugins/types.js';
import { prepareRelease } from './release/prepare.js';
import { type DeploymentSettings, loadDeploymentSettings } from './settings.js';
import { smokePathsFromWorkspace } from './smoke.js';
import { findSmokeSuite, runSmokeSuite } from './smoke-suite.js';
import { oncePerKey } from './state.js';

export interface DeploymentEngineOptions {
  /** Defaults to $POWERAUTO_HOME (read at each call). */
  home?: string;
  /** Defaults to the `deployment` section of the config file (read at each call). */
  settings?: DeploymentSettings;
}

interface Env {
  home: string;
  settings: DeploymentSettings;
  registry: PluginRegistry;
}

function runIdOf(key: string | undefined): string | null {
  if (key === undefined) return null;
  const runId = key.split(':')[0];
  return runId === undefined || runId === '' ? null : runId;
}

function pluginContext(env: Env, ctx: EngineToolContext): PluginContext {
  return {
    home: env.home,
    settings: env.settings,
    signal: ctx.signal,
    progress: (message) => ctx.progress(0, undefined, message).catch(() => undefined),
  };
}

// Serializes deploys to one environment within this process (the supervisor serializes across).
const envLocks = new Map<string, Promise<unknown>>();
function withEnvLock<T>(key: string, task: () => Promise<T>): Promise<T> {
  const previous = envLocks.get(key) ?? Promise.resolve();
  const next = previous.then(task, task);
  envLocks.set(
    key,
    next.catch(() => undefined),
  );
  return next;
}

async function deploy(
  env: Env,
  input: z.infer<typeof DeployInput>,
  ctx: EngineToolContext,
): Promise<Deployment> {
  const release = ReleaseSchema.parse(input.release);
  const pluginName = input.plugin ?? env.settings.plugin;
  const plugin = await env.registry.get(pluginName);
  const smokePaths = await smokePathsFromWorkspace(input.workspace);
  return withEnvLock(`${release.project}/${input.environment}`, async () => {
    const base = {
      id: randomUUID(),
      project: release.project,
      environment: input.environment,
      version: release.version,
      plugin: pluginName,
      runId: runIdOf(ctx.idempotencyKey),
      idempotencyKey: ctx.idempotencyKey ?? null,
      smokePaths,
      smoke: [],
      smokeSuite: null,
      createdAt: new Date().toISOString(),
    };
    try {
      const result = await plugin.deploy(
        {
          release,
          environment: input.environment,
          workspace: input.workspace,
          deployedBy: ctx.idempotencyKey ?? null,
        },
        pluginContext(env, ctx),
      );
      const deployment: Deployment = {
        ...base,
        url: result.url,
        previousVersion: result.previousVersion,
        status: result.status,
        pid: result.pid,
        reason: result.reason,
        logFile: result.logFile,
        isolation: result.isolation ?? null,
        metrics: { ...result.metrics, deployed: result.status === 'running' ? 1 : 0 },
      };
      await recordDeployment(env.home, deployment);
      return deployment;
    } catch (err) {
      await recordDeployment(env.home, {
        ...base,
        url: '',
        previousVersion: null,
        status: 'failed',
        pid: null,
        reason: errorMessage(err),
        logFile: null,
        isolation: null,
        metrics: { deployed: 0 },
      });
      throw err;
    }
  });
}

/** Heap cap for the smoke suite's Node processes (they only make HTTP calls). */
const SMOKE_SUITE_MEMORY_MB = 256;

/**
 * The live checks: the plugin's health check, then the service's own generated smoke suite when the
 * workspace has one; without a suite, generic GETs of the API's list paths (and the reason says so).
 */
async function liveChecks(
  env: Env,
  deployment: Deployment,
  workspace: string,
  plugin: DeploymentPlugin,
  pctx: PluginContext,
  signal: AbortSignal,
): Promise<VerifyResult & { suite: string | null; note: string | null }> {
  const suite = await findSmokeSuite(workspace);
  if (suite === null) {
    const smokePaths =
      deployment.smokePaths.length > 0 ? deployment.smokePaths : await smokePathsFromWorkspace(workspace);
    const result = await plugin.verify(deployment, smokePaths, pctx);
    const note = 'no generated smoke suite in the workspace: generic checks (health, GET of each list path)';
    return { ...result, suite: null, note };
  }
  const health = await plugin.verify(deployment, [], pctx);
  if (health.checks.some((c) => !c.ok)) {
    return { ...health, suite: suite.dir, note: `smoke suite ${suite.dir} not run: the health check failed` };
  }
  await pctx.progress(`running the smoke suite ${suite.dir} against ${deployment.url}`);
  const tests = await runSmokeSuite(workspace, suite, deployment.url, {
    timeoutMs: env.settings.verify.suiteTimeoutMs,
    memoryMb: SMOKE_SUITE_MEMORY_MB,
    signal,
  });
  return {
    healthStatus: health.healthStatus,
    checks: [...health.checks, ...tests],
    suite: suite.dir,
    note: null,
  };
}

/** One line per failed check for the step's reason; the full error stays in the `smoke` array. */
function describeFailure(check: SmokeCheck): string {
  const what = check.method === 'TEST' ? `smoke test "${check.name}"` : `${check.method} ${check.path}`;
  const error = (check.error ?? String(check.status)).replace(/\s+/g, ' ').trim();
  return `${what}: ${error.length > 300 ? `${error.slice(0, 300)}…` : error}`;
}

async function verify(
  env: Env,
  input: z.infer<typeof DeployVerifyInput>,
  ctx: EngineToolContext,
): Promise<Deployment> {
  const deployment = DeploymentSchema.parse(input.deployment);
  const plugin = await env.registry.get(deployment.plugin);
  const pctx = pluginContext(env, ctx);
  await pctx.progress(`checking ${deployment.url}`);
  const result = await liveChecks(env, deployment, input.workspace, plugin, pctx, ctx.signal);
  const failed = result.checks.filter((c) => !c.ok);
  const tests = result.checks.filter((c) => c.method === 'TEST');
  const metrics = {
    ...deployment.metrics,
    healthStatus: result.healthStatus,
    smokePassed: result.checks.length - failed.length,
    smokeFailed: failed.length,
    smokeTotal: result.checks.length,
    smokeMs: result.checks.reduce((n, c) => n + c.durationMs, 0),
    smokeSuite: result.suite === null ? 0 : 1,
    smokeTests: tests.length,
    smokeRequirements: new Set(tests.filter((c) => c.ok).flatMap((c) => c.requirementIds)).size,
  };
  const checked = { ...deployment, smoke: result.checks, smokeSuite: result.suite, metrics };
  if (failed.length === 0) {
    const verified: Deployment = { ...checked, reason: result.note };
    await recordDeployment(env.home, verified);
    return verified;
  }
  const why = [...failed.map(describeFailure), ...(result.note === null ? [] : [result.note])].join('; ');
  const ref = { project: deployment.project, environment: deployment.environment };
  let after: string;
  try {
    const status = await plugin.rollback(ref, `live checks failed: ${why}`, pctx);
    after = `rolled back to ${status.version}`;
  } catch (err) {
    // No previous release: the failed one must not stay up.
    await plugin.stop(ref, pctx).catch(() => undefined);
    after = `stopped (${errorMessage(err)})`;
  }
  await recordDeployment(env.home, { ...checked, status: 'rolled_back', reason: `${why}; ${after}` });
  throw new VerifyFailedError(
    `${deployment.environment} checks failed for ${deployment.version} at ${deployment.url}: ${why}; ${deployment.environment} ${after}`,
    { metrics },
  );
}

async function rollback(
  env: Env,
  input: z.infer<typeof DeployRollbackInput>,
  ctx: EngineToolContext,
): Promise<Deployment> {
  const project = await resolveProject(env.home, input.environment, input.project);
  const history = await deploymentHistory(env.home, project, input.environment);
  const last = history.filter((d) => d.status === 'running' || d.status === 'validated').at(-1);
  const pluginName = last?.plugin ?? env.settings.plugin;
  const plugin = await env.registry.get(pluginName);
  const began = performance.now();
  const status = await plugin.rollback(
    { project, environment: input.environment },
    input.reason ?? 'requested',
    pluginContext(env, ctx),
  );
  if (last !== undefined)
    await recordDeployment(env.home, {
      ...last,
      status: 'rolled_back',
      reason: input.reason ?? 'rolled back',
    });
  const back = history.filter((d) => d.version === status.version && d.status !== 'failed').at(-1);
  const deployment: Deployment = {
    id: randomUUID(),
    project,
    environment: input.environment,
    url: status.url ?? '',
    version: status.version ?? 'none',
    previousVersion: null,
    status: status.status,
    pid: status.pid,
    plugin: pluginName,
    runId: runIdOf(ctx.idempotencyKey),
    idempotencyKey: ctx.idempotencyKey ?? null,
    smokePaths: back?.smokePaths ?? [],
    smoke: [],
    smokeSuite: null,
    reason: `rolled back from ${last?.version ?? 'unknown'}: ${input.reason ?? 'requested'}`,
    logFile: null,
    // The release rolled back to runs in the jail it was deployed with.
    isolation: back?.isolation ?? null,
    createdAt: new Date().toISOString(),
    metrics: { rollbackMs: Math.round(performance.now() - began) },
  };
  await recordDeployment(env.home, deployment);
  return deployment;
}

export interface StopFilter {
  runId?: string;
  project?: string;
  environment?: Deployment['environment'];
}

export interface StoppedEnvironment {
  project: string;
  environment: Deployment['environment'];
  pids: number[];
}

/**
 * Stops environments matching the filter: with a runId, those whose current deployment that run
 * made. Each plugin stops its own (local-process: supervisor and releases, checked gone).
 */
export async function stopMatching(
  env: Env,
  filter: StopFilter,
  ctx?: EngineToolContext,
): Promise<StoppedEnvironment[]> {
  const stopped: StoppedEnvironment[] = [];
  const signal = ctx?.signal ?? new AbortController().signal;
  const pctx: PluginContext = {
    home: env.home,
    settings: env.settings,
    signal,
    progress: async (m) => {
      await ctx?.progress(0, undefined, m).catch(() => undefined);
    },
  };
  for (const target of await knownEnvironments(env.home)) {
    if (filter.project !== undefined && target.project !== filter.project) continue;
    if (filter.environment !== undefined && target.environment !== filter.environment) continue;
    const history = await deploymentHistory(env.home, target.project, target.environment);
    const current = history.filter((d) => d.status !== 'failed').at(-1);
    if (filter.runId !== undefined && current?.runId !== filter.runId) continue;
    const pluginName = current?.plugin ?? 'local-process';
    const plugin = await env.registry.get(pluginName);
    const result = await plugin.stop(target, pctx);
    if (current !== undefined && current.status === 'running') {
      await recordDeployment(env.home, { ...current, status: 'stopped', pid: null, reason: 'stopped' });
    }
    stopped.push({ ...target, pids: result.pids });
  }
  return stopped;
}

async function resolveEnv(options: DeploymentEngineOptions): Promise<Env> {
  const home = options.home ?? engineHome();
  const settings = options.settings ?? (await loadDeploymentSettings());
  return { home, settings, registry: new PluginRegistry(home, settings.plugins) };
}

/**
 * A tool with side effects: its input checked (in-process callers skip the MCP server's
 * validation), its environment resolved, and its work done once per idempotency key.
 */
function keyedTool<I extends z.ZodType, T extends Record<string, unknown>>(
  options: DeploymentEngineOptions,
  tool: string,
  input: I,
  output: z.ZodType<T>,
  work: (env: Env, input: z.output<I>, ctx: EngineToolContext) => Promise<T>,
): NonNullable<Brain[string]> {
  return async (raw: unknown, ctx) => {
    const parsed = parseInput(input, raw);
    const env = await resolveEnv(options);
    return oncePerKey(env.home, tool, ctx.idempotencyKey, output, () => work(env, parsed, ctx));
  };
}

/** The deployment engine's tools; state lives in files under `$POWERAUTO_HOME/deployments`. */
export function createDeploymentBrain(options: DeploymentEngineOptions = {}): Brain {
  return {
    release_prepare: keyedTool(
      options,
      'release_prepare',
      ReleasePrepareInput,
      ReleaseSchema,
      (env, input, ctx) => prepareRelease(input, ctx, env),
    ),
    deploy: keyedTool(options, 'deploy', DeployInput, DeploymentSchema, deploy),
    deploy_verify: keyedTool(options, 'deploy_verify', DeployVerifyInput, DeploymentSchema, verify),
    deploy_rollback: keyedTool(options, 'deploy_rollback', DeployRollbackInput, DeploymentSchema, rollback),
    async deploy_stop(raw: unknown, ctx) {
      const input = parseInput(DeployStopInput, raw);
      const env = await resolveEnv(options);
      const stopped = await stopMatching(env, input, ctx);
      const pids = stopped.flatMap((s) => s.pids);
      return {
        stopped: stopped.length > 0,
        metrics: { environmentsStopped: stopped.length, processesStopped: pids.length },
      };
    },
  };
}
