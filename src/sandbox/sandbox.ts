import { spawn, spawnSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { mkdir, mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PowerAutoError } from '../contracts/errors.js';
import { sandboxEnv } from './env.js';

/** What the sandbox could enforce on this host; measured by a probe, reported with every result. */
export interface Isolation {
  /** `namespace`: private mount namespace + chroot jail (workspace rw, toolchain ro, nothing else). */
  filesystem: 'namespace' | 'none';
  /** `loopback`: private network namespace with only `lo` up. */
  network: 'loopback' | 'host';
  /** `dropped`: the jailed process runs with an empty capability bounding set. */
  capabilities: 'dropped' | 'inherited';
  /** `isolated`: private PID namespace; killing its first process kills everything in it. */
  processes: 'isolated' | 'process-group';
  /** Why the stronger mode is unavailable, when it is. */
  reason: string | null;
}

export interface SandboxRunOptions {
  timeoutMs: number;
  /** Caps the V8 heap of every Node process started inside (NODE_OPTIONS). */
  memoryMb?: number;
  env?: Record<string, string>;
  signal?: AbortSignal;
}

export interface SandboxResult {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
  cancelled: boolean;
  /** Names (never values) of parent variables the child did not get. */
  withheldEnv: string[];
  isolation: Isolation;
}

export class SandboxTimeoutError extends PowerAutoError {
  constructor(what: string, timeoutMs: number) {
    super('TIMEOUT', `${what} exceeded its ${timeoutMs} ms time limit and was killed`);
  }
}

export class SandboxViolationError extends PowerAutoError {
  constructor(message: string, details?: unknown) {
    super('SANDBOX_VIOLATION', message, { details });
  }
}

const OUTPUT_CAP = 2 * 1024 * 1024;

/*
 * Runs inside `unshare --mount --net --pid --fork` as root, before any untrusted code: builds a
 * jail on a tmpfs with the toolchain read-only, the workspace and the run's temp dir writable, and
 * nothing else (no /root, /home, /work, /etc secrets); then chroots and drops every capability so
 * the program cannot remount, chroot out or reach the host network.
 */
const JAIL_SCRIPT = String.raw`
set -eu
ws=$1; tmp=$2; jail=$3; ro=$4; shift 4
ip link set lo up
mount -t tmpfs -o mode=755,size=8m jail "$jail"
for d in usr bin sbin lib lib32 lib64 libx32 etc/alternatives; do
  if [ -L "/$d" ]; then mkdir -p "$(dirname "$jail/$d")"; ln -s "$(readlink "/$d")" "$jail/$d"
  elif [ -d "/$d" ]; then mkdir -p "$jail/$d"; mount --rbind "/$d" "$jail/$d"; mount -o remount,bind,ro "$jail/$d"; fi
done
mkdir -p "$jail/etc" "$jail/dev" "$jail/proc" "$jail/tmp"
printf '127.0.0.1 localhost\n::1 localhost\n' > "$jail/etc/hosts"
printf 'root:x:0:0:root:/tmp:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' > "$jail/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$jail/etc/group"
for n in null zero random urandom; do touch "$jail/dev/$n"; mount --bind "/dev/$n" "$jail/dev/$n"; done
ln -s /proc/self/fd "$jail/dev/fd"
mount -t proc proc "$jail/proc"
mount -t tmpfs -o mode=1777,size=64m tmp "$jail/tmp"
printf '%s\n' "$ro" | while IFS= read -r p; do
  [ -n "$p" ] || continue
  if [ -d "$p" ]; then mkdir -p "$jail$p"; else mkdir -p "$(dirname "$jail$p")"; touch "$jail$p"; fi
  mount --rbind "$p" "$jail$p"; mount -o remount,bind,ro "$jail$p"
done
mkdir -p "$jail$ws" "$jail$tmp"
mount --bind "$ws" "$jail$ws"
mount --bind "$tmp" "$jail$tmp"
exec chroot "$jail" /usr/bin/setpriv --bounding-set=-all --inh-caps=-all --no-new-privs -- \
  /bin/sh -c 'cd "$0" && exec "$@"' "$ws" "$@"
`;

let probed: Isolation | undefined;

/** Finds out once per process whether namespaces work here (root, unshare, setpriv, ip). */
export function probeIsolation(): Isolation {
  probed ??= probe();
  return probed;
}

function probe(): Isolation {
  const weak = (reason: string): Isolation => ({
    filesystem: 'none',
    network: 'host',
    capabilities: 'inherited',
    processes: 'process-group',
    reason,
  });
  if (process.platform !== 'linux') return weak(`namespaces need Linux (${process.platform})`);
  if (process.getuid?.() !== 0) return weak('namespaces need root here (no user namespaces used)');
  const dir = realpathSync(tmpdir());
  const probeRoot = join(dir, `powerauto-probe-${process.pid}`);
  const res = spawnSync(
    'sh',
    [
      '-c',
      'mkdir -p "$1/ws" "$1/tmp" "$1/jail" && unshare --mount --net --pid --fork --kill-child --propagation private sh -c "$2" jail "$1/ws" "$1/tmp" "$1/jail" "" /bin/sh -c "test ! -e /root/. && cat /proc/self/status | grep -q \'CapEff:.0000000000000000\'"; rc=$?; rm -rf "$1"; exit $rc',
      'probe',
      probeRoot,
      JAIL_SCRIPT,
    ],
    { encoding: 'utf8', timeout: 10_000 },
  );
  if (res.status === 0) {
    return {
      filesystem: 'namespace',
      network: 'loopback',
      capabilities: 'dropped',
      processes: 'isolated',
      reason: null,
    };
  }
  const why = (res.stderr || res.error?.message || `exit ${res.status}`).trim().split('\n').slice(-1)[0];
  return weak(`namespace jail unavailable: ${why}`);
}

/** Toolchain directories the jail must show read-only besides /usr (e.g. a Node under /opt). */
function nodeInstallDir(): string | null {
  const prefix = dirname(dirname(realpathSync(process.execPath)));
  return prefix === '/usr' || prefix.startsWith('/usr/') ? null : prefix;
}

export interface SandboxOptions {
  /** The only writable place the program sees (its cwd). */
  workspace: string;
  /** Extra paths shown read-only (the shared dependency cache, a reporter file). */
  readOnly?: string[];
  /** Force the weak mode even where namespaces work (for comparison, never by default). */
  isolation?: 'auto' | 'none';
}

/**
 * A sandbox for one job: a private temp dir (HOME and TMPDIR of the child), then any number of
 * `run` calls, then `dispose`. Each run is a child process with a wall-clock limit (the whole process
 * group / PID namespace is killed), a V8 heap cap, a stripped environment, and on Linux as root a
 * chroot jail in private mount/network/PID namespaces with no capabilities.
 */
export class Sandbox {
  readonly workspace: string;
  readonly tmpDir: string;
  readonly isolation: Isolation;
  private readonly readOnly: string[];
  private readonly runRoot: string;

  private constructor(workspace: string, runRoot: string, readOnly: string[], isolation: Isolation) {
    this.workspace = workspace;
    this.runRoot = runRoot;
    this.tmpDir = join(runRoot, 'tmp');
    this.readOnly = readOnly;
    this.isolation = isolation;
  }

  static async create(options: SandboxOptions): Promise<Sandbox> {
    const workspace = await realpath(options.workspace);
    const runRoot = await mkdtemp(join(await realpath(tmpdir()), 'powerauto-sbx-'));
    await mkdir(join(runRoot, 'tmp'));
    await mkdir(join(runRoot, 'jail'));
    const readOnly = await Promise.all((options.readOnly ?? []).map((p) => realpath(p)));
    const extra = nodeInstallDir();
    if (extra) readOnly.push(extra);
    const isolation =
      options.isolation === 'none'
        ? {
            ...probeIsolation(),
            filesystem: 'none' as const,
            network: 'host' as const,
            capabilities: 'inherited' as const,
            processes: 'process-group' as const,
            reason: 'disabled by the caller',
          }
        : probeIsolation();
    return new Sandbox(workspace, runRoot, readOnly, isolation);
  }

  async run(command: string, args: string[], options: SandboxRunOptions): Promise<SandboxResult> {
    const extraEnv: Record<string, string> = {
      HOME: this.tmpDir,
      TMPDIR: this.tmpDir,
      NODE_ENV: 'test',
      ...options.env,
    };
    if (options.memoryMb) {
      extraEnv.NODE_OPTIONS =
        `--max-old-space-size=${options.memoryMb} ${extraEnv.NODE_OPTIONS ?? ''}`.trim();
    }
    const { env, withheld } = sandboxEnv(process.env, extraEnv);
    const jailed = this.isolation.filesystem === 'namespace';
    const [file, argv] = jailed
      ? [
          'unshare',
          [
            '--mount',
            '--net',
            '--pid',
            '--fork',
            '--kill-child',
            '--propagation',
            'private',
            'sh',
            '-c',
            JAIL_SCRIPT,
            'jail',
            this.workspace,
            this.tmpDir,
            join(this.runRoot, 'jail'),
            this.readOnly.join('\n'),
            command,
            ...args,
          ],
        ]
      : [command, args];

    const started = performance.now();
    const child = spawn(file, argv, {
      cwd: this.workspace,
      env,
      detached: true, // own process group: a timeout kills the program and everything it started
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      if (stdout.length < OUTPUT_CAP) stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      if (stderr.length < OUTPUT_CAP) stderr += chunk;
    });
    let timedOut = false;
    let cancelled = false;
    const killGroup = () => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, options.timeoutMs);
    const onAbort = () => {
      cancelled = true;
      killGroup();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const [exitCode, signal] = await new Promise<[number | null, string | null]>((resolve) => {
      child.on('error', (err) => {
        stderr += `\n${err.message}`;
        resolve([null, null]);
      });
      child.on('close', (code, sig) => resolve([code, sig]));
    });
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
    killGroup(); // stray grandchildren that kept running after the main process exited
    return {
      exitCode,
      signal,
      stdout,
      stderr,
      durationMs: Math.round(performance.now() - started),
      timedOut,
      cancelled,
      withheldEnv: withheld,
      isolation: this.isolation,
    };
  }

  async dispose(): Promise<void> {
    await rm(this.runRoot, { recursive: true, force: true });
  }
}
