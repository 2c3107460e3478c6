import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, mkdir, readFile, readlink, realpath, rename, rm, stat, symlink } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { extract } from 'tar';
import { z } from 'zod';
import type { Deployment } from '../../../../contracts/deployment.js';
import { sandboxMode } from '../../../../sandbox/sandbox.js';
import { envDir } from '../../../shared/paths.js';
import { releaseKey, versionOf } from '../../../shared/release-key.js';
import { type EnvState, findSupervisor } from '../../../shared/supervisor-api.js';
import { DeployFailedError } from '../../errors.js';
import { runSmokeChecks } from '../../smoke.js';
import type {
  DeploymentPlugin,
  DeployRequest,
  EnvironmentRef,
  PluginContext,
  PluginDeployResult,
  PluginStatus,
  VerifyResult,
} from '../types.js';
import { ensureSupervisor, stopEnvironment } from './client.js';
import { dataDirOf } from './jail.js';

const PackageJson = z.object({
  scripts: z.record(z.string(), z.string()).default({}),
  dependencies: z.record(z.string(), z.string()).default({}),
});

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Unpacks the artifact once per digest, after checking the digest matches the release. */
async function unpack(artifactPath: string, sha256: string, dir: string): Promise<void> {
  if (await stat(join(dir, 'package.json')).catch(() => null)) return;
  const actual = await sha256File(artifactPath);
  if (actual !== sha256) {
    throw new DeployFailedError(`artifact ${artifactPath} has digest ${actual}, the release says ${sha256}`);
  }
  const tmp = `${dir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  await extract({ file: artifactPath, cwd: tmp, strict: true });
  await rm(dir, { recursive: true, force: true });
  await rename(tmp, dir);
}

/** Makes `path` a symlink to `target` (replacing another link; a real entry is left alone). */
async function linkTo(path: string, target: string): Promise<void> {
  const info = await lstat(path).catch(() => null);
  if (info !== null && !info.isSymbolicLink()) return;
  if (info !== null && (await readlink(path)) === target) return;
  await rm(path, { force: true });
  await symlink(target, path, 'dir');
}

/**
 * `npm start` without npm in between when the script is a plain `node FILE …` (signals then reach
 * the service itself); otherwise the script through sh, in its own process group all the same.
 */
export function startCommand(start: string | undefined, dir: string): string[] {
  const script = (start ?? 'node server.js').trim();
  const words = script.split(/\s+/);
  if (words[0] === 'node' && words.every((w) => /^[\w@%+=:,./-]+$/.test(w))) {
    // The entry file by absolute path: `ps` then shows which release a process belongs to.
    const [entry, ...rest] = words.slice(1);
    const file =
      entry !== undefined && !entry.startsWith('-') && !isAbsolute(entry) ? join(dir, entry) : entry;
    return [process.execPath, ...(file === undefined ? [] : [file]), ...rest];
  }
  return ['/bin/sh', '-c', script];
}

function statusOf(state: EnvState, url: string): PluginStatus {
  const active = state.active === null ? undefined : state.releases.find((r) => r.version === state.active);
  return {
    project: state.project,
    environment: state.environment,
    url,
    version: versionOf(state.active),
    previousVersion: versionOf(state.previous),
    pid: active?.pid ?? null,
    status: active !== undefined && active.pid !== null ? 'running' : 'stopped',
    detail: state.events.at(-1)?.detail ?? '',
  };
}

export const localProcessPlugin: DeploymentPlugin = {
  name: 'local-process',

  async deploy(request: DeployRequest, ctx: PluginContext): Promise<PluginDeployResult> {
    const { release, environment } = request;
    const settings = ctx.settings.environments[environment];
    const dir = join(
      envDir(ctx.home, release.project, environment),
      'releases',
      `${release.version}-${release.sha256.slice(0, 12)}`,
    );
    await ctx.progress(`unpacking ${release.version}`);
    await unpack(release.artifactPath, release.sha256, dir);
    const pkg = PackageJson.parse(JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')));
    if (Object.keys(pkg.dependencies).length > 0) {
      // Runtime dependencies come from the workspace's install (the artifact carries only the build).
      // The link names the real folder: the jail shows only that one, not the workspace.
      const modules = await realpath(join(request.workspace, 'node_modules')).catch(() => null);
      if (modules !== null) await linkTo(join(dir, 'node_modules'), modules);
    }
    // `./data` of the release is the environment's data dir, the only place the service may write.
    const dataDir = dataDirOf(envDir(ctx.home, release.project, environment));
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    await linkTo(join(dir, 'data'), dataDir);
    const supervisor = await ensureSupervisor(ctx.home, release.project, environment, settings);
    await ctx.progress(`starting ${release.version} beside the running release`);
    const began = performance.now();
    const key = releaseKey(release.version, release.sha256);
    const result = await supervisor.call('POST', '/deploy', {
      version: key,
      dir,
      command: startCommand(pkg.scripts.start, dir),
      env: {
        PATH: `${join(dir, 'node_modules', '.bin')}:${process.env.PATH ?? '/usr/bin:/bin'}`,
        NODE_ENV: 'production',
        LOG_LEVEL: 'info',
        POWERAUTO_ENVIRONMENT: environment,
        POWERAUTO_RELEASE: release.version,
      },
      deployedBy: request.deployedBy,
      sandbox: sandboxMode(),
    });
    const switchMs = performance.now() - began;
    const status = statusOf(result.state, supervisor.url);
    const rec = result.state.releases.find((r) => r.version === key);
    if (!result.ok) {
      throw new DeployFailedError(
        `${result.reason ?? 'deploy failed'}; ${environment} keeps ${versionOf(result.state.active) ?? 'no release'}`,
      );
    }
    return {
      url: supervisor.url,
      status: 'running',
      pid: rec?.pid ?? null,
      previousVersion: status.previousVersion,
      reason: null,
      logFile: rec?.logFile ?? null,
      isolation: rec?.isolation ?? null,
      metrics: { deployMs: Math.round(switchMs), port: result.state.proxyPort, restarts: rec?.restarts ?? 0 },
    };
  },

  async verify(deployment: Deployment, smokePaths: string[], ctx: PluginContext): Promise<VerifyResult> {
    const settings = ctx.settings.environments[deployment.environment];
    return runSmokeChecks(deployment.url, smokePaths, {
      healthPath: settings.healthPath,
      timeoutMs: ctx.settings.verify.requestTimeoutMs,
    });
  },

  async rollback(target: EnvironmentRef, reason: string, ctx: PluginContext): Promise<PluginStatus> {
    const supervisor = await findSupervisor(ctx.home, target.project, target.environment);
    if (supervisor === null) {
      throw new DeployFailedError(
        `nothing runs in ${target.project}/${target.environment}: no rollback possible`,
      );
    }
    const result = await supervisor.call('POST', '/rollback', { reason });
    if (!result.ok) throw new DeployFailedError(result.reason ?? 'rollback failed');
    return statusOf(result.state, supervisor.url);
  },

  async stop(target: EnvironmentRef, ctx: PluginContext): Promise<{ stopped: boolean; pids: number[] }> {
    const pids = await stopEnvironment(envDir(ctx.home, target.project, target.environment));
    return { stopped: pids.length > 0, pids };
  },

  async status(target: EnvironmentRef, ctx: PluginContext): Promise<PluginStatus | null> {
    const supervisor = await findSupervisor(ctx.home, target.project, target.environment);
    if (supervisor === null) return null;
    const result = await supervisor.status();
    return statusOf(result.state, supervisor.url);
  },
};
