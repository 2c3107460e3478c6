import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { z } from 'zod';
import type { Environment } from '../../../../contracts/deployment.js';
import { PowerAutoError } from '../../../../contracts/errors.js';
import { readJson, writeJsonAtomic } from '../../../shared/files.js';
import { envDir } from '../../../shared/paths.js';
import { isAlive } from '../../../shared/processes.js';
import {
  EnvState,
  reachableSupervisor,
  type SupervisorClient,
  SupervisorInfo,
} from '../../../shared/supervisor-api.js';
import type { EnvironmentSettings } from '../../settings.js';
import { freePort, killGroup } from './net.js';

const READY_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 30_000;

const PortFile = z.object({ port: z.number().int().min(1).max(65_535) });

/** How to run supervisor.ts: the compiled .js beside this module, or the source through tsx. */
export function supervisorCommand(): { command: string; args: string[] } {
  const here = fileURLToPath(import.meta.url);
  const ext = here.endsWith('.ts') ? '.ts' : '.js';
  const script = join(here, '..', `supervisor${ext}`);
  if (ext === '.js') return { command: process.execPath, args: [script] };
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return { command: process.execPath, args: ['--import', tsx, script] };
}

/** The environment's stable port: configured, or picked once and kept in port.json. */
async function stablePort(dir: string, settings: EnvironmentSettings): Promise<number> {
  if (settings.port !== 0) return settings.port;
  const kept = await readJson(join(dir, 'port.json'), PortFile).catch(() => undefined);
  if (kept !== undefined) return kept.port;
  const port = await freePort();
  await writeJsonAtomic(join(dir, 'port.json'), { port });
  return port;
}

/** Finds the environment's supervisor or starts one, detached, and waits until it answers. */
export async function ensureSupervisor(
  home: string,
  project: string,
  environment: Environment,
  settings: EnvironmentSettings,
): Promise<SupervisorClient> {
  const dir = envDir(home, project, environment);
  const running = await reachableSupervisor(dir);
  if (running !== null) return running;
  mkdirSync(join(dir, 'logs'), { recursive: true });
  // A supervisor that died without cleaning up may have left its file behind.
  const stale = await readJson(join(dir, 'supervisor.json'), SupervisorInfo).catch(() => undefined);
  if (stale !== undefined && isAlive(stale.pid)) killGroup(stale.pid, 'SIGKILL');
  const proxyPort = await stablePort(dir, settings);
  await writeJsonAtomic(join(dir, 'launch.json'), {
    project,
    environment,
    proxyPort,
    token: randomBytes(24).toString('hex'),
    settings,
  });
  const { command, args } = supervisorCommand();
  const log = openSync(join(dir, 'logs', 'supervisor.log'), 'a');
  const started = Date.now();
  try {
    const child = spawn(command, [...args, dir], {
      cwd: dir,
      detached: true,
      stdio: ['ignore', log, log],
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: process.env.HOME ?? dir,
        NODE_ENV: 'production',
      },
    });
    child.unref();
  } finally {
    closeSync(log);
  }
  while (Date.now() - started < READY_TIMEOUT_MS) {
    await sleep(100);
    const info = await readJson(join(dir, 'supervisor.json'), SupervisorInfo).catch(() => undefined);
    if (info !== undefined && Date.parse(info.startedAt) >= started - 1_000) {
      const client = await reachableSupervisor(dir);
      if (client !== null) return client;
    }
  }
  throw new PowerAutoError(
    'ENGINE_FAILED',
    `the ${environment} supervisor did not start within ${READY_TIMEOUT_MS} ms (see ${join(dir, 'logs', 'supervisor.log')})`,
  );
}

/**
 * Stops an environment for good: asks its supervisor to stop (drain, SIGTERM, SIGKILL), waits for
 * it to exit, and then makes sure: every pid the state file knows (supervisor and releases) is
 * signalled by process group until none is alive. Returns the pids that were running.
 */
export async function stopEnvironment(dir: string): Promise<number[]> {
  const info = await readJson(join(dir, 'supervisor.json'), SupervisorInfo).catch(() => undefined);
  const state = await readJson(join(dir, 'state.json'), EnvState).catch(() => undefined);
  const pids = new Set<number>();
  if (info !== undefined) pids.add(info.pid);
  for (const rec of state?.releases ?? []) {
    for (const pid of [rec.pid, rec.jailPid]) if (pid !== null) pids.add(pid);
  }
  const alive = [...pids].filter(isAlive);
  const client = await reachableSupervisor(dir);
  if (client !== null) {
    await client.call('POST', '/stop', {}, STOP_TIMEOUT_MS).catch(() => undefined);
  }
  const deadline = Date.now() + 10_000;
  while (alive.some(isAlive) && Date.now() < deadline) await sleep(50);
  for (const pid of alive) if (isAlive(pid)) killGroup(pid, 'SIGKILL');
  const after = Date.now() + 5_000;
  while (alive.some(isAlive) && Date.now() < after) await sleep(50);
  const left = alive.filter(isAlive);
  if (left.length > 0) {
    throw new PowerAutoError('ENGINE_FAILED', `processes still running after stop: ${left.join(', ')}`);
  }
  return alive;
}
