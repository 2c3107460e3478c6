import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import type { ReleaseIsolation } from '../../../../contracts/deployment.js';
import { exposePort } from '../../../../sandbox/expose.js';
import { Sandbox } from '../../../../sandbox/sandbox.js';
import type { ReleaseRecord } from '../../../shared/supervisor-api.js';

/** The writable directory of an environment's releases, shared by blue and green, kept across releases. */
export function dataDirOf(envDir: string): string {
  return join(envDir, 'data');
}

export interface LaunchedRelease {
  /** The first host process (the jail's leader, or the service itself without a jail). */
  child: ChildProcess;
  isolation: ReleaseIsolation;
  /** The host pid of the service process once it runs (inside the jail: the relay's child). */
  servicePid(): number | null;
  /**
   * Resolves once the process has exited and its port relay, cgroup and sandbox directory are
   * freed, with how the service ended (inside the jail, as its relay saw it).
   */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Host pids whose parent is `pid` (from /proc; the jail's processes are visible from the host). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/**
 * Starts one process of a release through the sandbox: its own uid, a read-only view of the
 * release, only the environment's data dir (and a private temp dir) writable, nothing of
 * POWERAUTO_HOME besides, a scrubbed environment, and its own network namespace whose port is
 * relayed to `127.0.0.1:port` of the host (health checks, metrics scrapes and the proxy use that).
 * With `sandbox: none` the release runs unisolated on the host port, and the record says so.
 */
export async function launchRelease(
  rec: ReleaseRecord,
  options: { port: number; logFd: number; envDir: string },
): Promise<LaunchedRelease> {
  const dataDir = dataDirOf(options.envDir);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  // Runtime dependencies: the workspace's install the release links to (its real folder).
  const modules = await realpath(join(rec.dir, 'node_modules')).catch(() => null);
  const sandbox = await Sandbox.create({
    workspace: rec.dir,
    workspaceReadOnly: true,
    readOnly: modules === null ? [] : [modules],
    writable: [dataDir],
    isolation: rec.sandbox,
    // One uid per environment: blue and green share the data dir.
    uidKey: options.envDir,
  });
  const env = {
    ...rec.env,
    PORT: String(options.port),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
  };
  const jailed = sandbox.isolation.network === 'loopback';
  let exposed: Awaited<ReturnType<typeof exposePort>> | null = null;
  let spawned: Awaited<ReturnType<Sandbox['spawn']>>;
  try {
    const [command, ...args] = rec.command as [string, ...string[]];
    if (jailed) {
      exposed = await exposePort(sandbox, options.port, rec.command);
      spawned = await sandbox.spawn(process.execPath, [exposed.relayPath, exposed.configPath], {
        env,
        stdio: ['ignore', options.logFd, options.logFd],
        cpuSeconds: null,
      });
    } else {
      spawned = await sandbox.spawn(command, args, {
        env,
        stdio: ['ignore', options.logFd, options.logFd],
        cpuSeconds: null,
      });
    }
  } catch (err) {
    await exposed?.close();
    await sandbox.dispose();
    throw err;
  }
  const { child, withheld, limits, finish } = spawned;
  const iso = sandbox.isolation;
  const isolation: ReleaseIsolation = {
    mode: iso.mode,
    filesystem: iso.filesystem,
    network: iso.network,
    user: iso.user,
    uid: sandbox.uid,
    capabilities: iso.capabilities,
    processes: iso.processes,
    proc: iso.proc,
    dataDir,
    withheldEnv: withheld,
    limits: limits === null ? null : { ...limits },
    reason: iso.reason,
  };
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      const how = exposed?.serviceExit() ?? { code, signal };
      void (async () => {
        finish();
        await exposed?.close();
        await sandbox.dispose();
      })()
        .catch(() => undefined)
        .finally(() => resolve(how));
    });
  });
  return {
    exited,
    child,
    isolation,
    servicePid: () => {
      const leader = child.pid;
      if (leader === undefined) return null;
      if (!jailed) return leader;
      // leader (unshare) -> the jail's first process (the relay) -> the service
      const relay = childrenOf(leader)[0];
      return relay === undefined ? null : (childrenOf(relay)[0] ?? null);
    },
  };
}
