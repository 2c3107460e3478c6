import { dirname, join } from 'node:path';
import type { Deployment } from '../../../contracts/deployment.js';
import { PluginUnavailableError } from '../../shared/errors.js';
import { lastLine, run } from '../exec.js';
import { runSmokeChecks } from '../smoke.js';
import type {
  DeploymentPlugin,
  DeployRequest,
  EnvironmentRef,
  PluginContext,
  PluginDeployResult,
  PluginStatus,
  VerifyResult,
} from './types.js';

/** Whether a Docker engine answers; the CLI alone (`docker --version`) is not enough. */
export async function dockerAvailability(command: string): Promise<{ ok: boolean; reason: string }> {
  const cli = await run(command, ['--version'], { timeoutMs: 10_000 });
  if (cli.code !== 0) return { ok: false, reason: `the docker CLI is not usable: ${lastLine(cli.stderr)}` };
  const server = await run(command, ['version', '--format', '{{.Server.Version}}'], { timeoutMs: 15_000 });
  if (server.code !== 0 || server.stdout.trim() === '') {
    return {
      ok: false,
      reason: `no Docker engine is reachable (${lastLine(server.stderr) || 'no server version'})`,
    };
  }
  return { ok: true, reason: `Docker engine ${server.stdout.trim()}` };
}

function containerName(target: EnvironmentRef): string {
  return `powerauto-${target.project}-${target.environment}`;
}

async function requireDocker(ctx: PluginContext): Promise<void> {
  const availability = await dockerAvailability(ctx.settings.docker.command);
  if (!availability.ok) throw new PluginUnavailableError(`docker plugin unavailable: ${availability.reason}`);
}

/**
 * Builds the release's Dockerfile (written by `release_prepare`) and runs one container per
 * environment, published on the loopback. Without a reachable Docker engine every call says so.
 * Not blue/green: the container is replaced (stop, then run).
 */
export const dockerPlugin: DeploymentPlugin = {
  name: 'docker',

  async deploy(request: DeployRequest, ctx: PluginContext): Promise<PluginDeployResult> {
    await requireDocker(ctx);
    const docker = ctx.settings.docker.command;
    const { release, environment } = request;
    const image = `${release.project}:${release.version}`;
    // The Dockerfile ADDs the artifact: the build context is the folder holding it.
    const dockerfilePath = join(request.workspace, release.files.dockerfile);
    const build = await run(
      docker,
      ['build', '-t', image, '-f', dockerfilePath, dirname(release.artifactPath)],
      {
        cwd: request.workspace,
        timeoutMs: ctx.settings.buildTimeoutMs,
        signal: ctx.signal,
      },
    );
    if (build.code !== 0) throw new PluginUnavailableError(`docker build failed: ${lastLine(build.stderr)}`);
    const name = containerName({ project: release.project, environment });
    const previous = await run(docker, ['inspect', '--format', '{{.Config.Image}}', name]);
    await run(docker, ['rm', '-f', name]);
    const port = ctx.settings.environments[environment].port || (environment === 'production' ? 8080 : 8081);
    const started = await run(docker, ['run', '-d', '--name', name, '-p', `127.0.0.1:${port}:3000`, image]);
    if (started.code !== 0)
      throw new PluginUnavailableError(`docker run failed: ${lastLine(started.stderr)}`);
    return {
      url: `http://127.0.0.1:${port}`,
      status: 'running',
      pid: null,
      previousVersion: previous.code === 0 ? (previous.stdout.trim().split(':')[1] ?? null) : null,
      reason: null,
      logFile: null,
      metrics: { port },
    };
  },

  async verify(deployment: Deployment, smokePaths: string[], ctx: PluginContext): Promise<VerifyResult> {
    await requireDocker(ctx);
    return runSmokeChecks(deployment.url, smokePaths, { timeoutMs: ctx.settings.verify.requestTimeoutMs });
  },

  async rollback(target: EnvironmentRef, _reason: string, ctx: PluginContext): Promise<PluginStatus> {
    await requireDocker(ctx);
    throw new PluginUnavailableError(
      `docker plugin keeps no previous container for ${containerName(target)}; redeploy the previous release`,
    );
  },

  async stop(target: EnvironmentRef, ctx: PluginContext): Promise<{ stopped: boolean; pids: number[] }> {
    const availability = await dockerAvailability(ctx.settings.docker.command);
    if (!availability.ok) return { stopped: false, pids: [] };
    const removed = await run(ctx.settings.docker.command, ['rm', '-f', containerName(target)]);
    return { stopped: removed.code === 0, pids: [] };
  },

  async status(target: EnvironmentRef, ctx: PluginContext): Promise<PluginStatus | null> {
    const availability = await dockerAvailability(ctx.settings.docker.command);
    return {
      project: target.project,
      environment: target.environment,
      url: null,
      version: null,
      previousVersion: null,
      pid: null,
      status: availability.ok ? 'stopped' : 'unavailable',
      detail: availability.reason,
    };
  },
};
