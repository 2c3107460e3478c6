import { type ChildProcess, type StdioOptions, spawn, spawnSync } from 'node:child_process';
import {
  chownSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readlinkSync,
  realpathSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { chmod, lchown, lstat, mkdir, mkdtemp, readdir, readlink, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PowerAutoError } from '../contracts/errors.js';
import { JobCgroup, type Limits, type LimitUsage } from './cgroup.js';
import { sandboxEnv } from './env.js';

/** What the sandbox could enforce on this host; measured by a probe, reported with every result. */
export interface Isolation {
  /** `auto`: the jail is required; `none`: configured explicitly (`sandbox: none`), no isolation. */
  mode: 'auto' | 'none';
  /** `namespace`: private mount namespace + chroot jail (workspace rw, toolchain ro, nothing else). */
  filesystem: 'namespace' | 'none';
  /** `loopback`: private network namespace with only `lo` up. */
  network: 'loopback' | 'host';
  /** `dropped`: the jailed process has no capabilities (empty bounding set, or none in its user namespace). */
  capabilities: 'dropped' | 'inherited';
  /** `isolated`: private PID namespace; killing its first process kills everything in it. */
  processes: 'isolated' | 'process-group';
  /**
   * `dedicated-uid`: (root host) the code runs as its own unprivileged host uid/gid, no supplementary
   * groups; `user-namespace`: (non-root host) as an unprivileged uid of a user namespace, which is the
   * installing user on the host; `inherited`: as the orchestrator.
   */
  user: 'dedicated-uid' | 'user-namespace' | 'inherited';
  /** `private`: a fresh /proc of the jail's PID namespace (no other processes), /proc/sys read-only. */
  proc: 'private' | 'host';
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
  /** Which cgroup limits held for the job (null without a jail). */
  limits: Limits | null;
  /** Limits the job hit, CPU time it used. */
  usage: LimitUsage;
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

export class SandboxUnavailableError extends PowerAutoError {
  constructor(why: string) {
    super(
      'SANDBOX_VIOLATION',
      `cannot build the sandbox jail on this host (${why}); refusing to run generated code without it. ` +
        'Set "sandbox": "none" in config.json (or POWERAUTO_SANDBOX=none) to run it unisolated, deliberately.',
    );
  }
}

const OUTPUT_CAP = 2 * 1024 * 1024;

/** Workspace entries the jail sees read-only and the orchestrator later trusts (git, npm). */
export const PROTECTED_ENTRIES = ['.git', 'package.json', 'package-lock.json', '.npmrc'];

/*
 * Runs inside `unshare --mount --net --pid --fork` (as root, or as root of a new user namespace),
 * before any untrusted code: builds a jail on a tmpfs with the toolchain read-only, the workspace and
 * the run's temp dir writable (its .git and package files read-only), a fresh /proc of the jail's
 * own PID namespace with /proc/sys read-only, and nothing else (no /root, /home, /work, /etc
 * secrets). Then it enters the jail as an unprivileged uid with no capabilities and no groups:
 * `root` mode: setpriv to the dedicated host uid; `userns` mode: a nested user namespace where the
 * code is uid $uid (the mount namespace belongs to the outer one, so it cannot remount anything).
 * Its parameters come in PA_JAIL_* variables (unset before the code runs), not argv: `ps` then
 * shows the jailed program, not every path of the jail.
 */
const JAIL_SCRIPT = String.raw`
set -eu
ws=$PA_JAIL_WS; tmp=$PA_JAIL_TMP; jail=$PA_JAIL_ROOT; ro=$PA_JAIL_RO; rw=$PA_JAIL_RW; wsro=$PA_JAIL_WSRO
uid=$PA_JAIL_UID; gid=$PA_JAIL_UID; how=$PA_JAIL_HOW; cpu=$PA_JAIL_CPU; wsmode=$PA_JAIL_WSMODE
unset PA_JAIL_WS PA_JAIL_TMP PA_JAIL_ROOT PA_JAIL_RO PA_JAIL_RW PA_JAIL_WSRO PA_JAIL_UID PA_JAIL_HOW PA_JAIL_CPU PA_JAIL_WSMODE
ip link set lo up
mount -t tmpfs -o mode=755,size=8m jail "$jail"
for d in usr bin sbin lib lib32 lib64 libx32 etc/alternatives; do
  if [ -L "/$d" ]; then mkdir -p "$(dirname "$jail/$d")"; ln -s "$(readlink "/$d")" "$jail/$d"
  elif [ -d "/$d" ]; then mkdir -p "$jail/$d"; mount --rbind "/$d" "$jail/$d"; mount -o remount,bind,ro "$jail/$d"; fi
done
mkdir -p "$jail/etc" "$jail/dev" "$jail/proc" "$jail/tmp"
printf '127.0.0.1 localhost\n::1 localhost\n' > "$jail/etc/hosts"
printf 'root:x:0:0:root:/nonexistent:/usr/sbin/nologin\nsandbox:x:%s:%s:sandbox:/tmp:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' "$uid" "$gid" > "$jail/etc/passwd"
printf 'root:x:0:\nsandbox:x:%s:\nnogroup:x:65534:\n' "$gid" > "$jail/etc/group"
for n in null zero random urandom; do touch "$jail/dev/$n"; mount --bind "/dev/$n" "$jail/dev/$n"; done
ln -s /proc/self/fd "$jail/dev/fd"
mount -t proc -o nosuid,nodev,noexec proc "$jail/proc"
mount --bind "$jail/proc/sys" "$jail/proc/sys"; mount -o remount,bind,ro "$jail/proc/sys"
mount -t tmpfs -o mode=1777,size=64m,nosuid,nodev tmp "$jail/tmp"
printf '%s\n' "$ro" | while IFS= read -r p; do
  [ -n "$p" ] || continue
  if [ -d "$p" ]; then mkdir -p "$jail$p"; else mkdir -p "$(dirname "$jail$p")"; touch "$jail$p"; fi
  mount --rbind "$p" "$jail$p"; mount -o remount,bind,ro "$jail$p"
done
mkdir -p "$jail$ws" "$jail$tmp"
mount --bind "$ws" "$jail$ws"
if [ "$wsmode" = ro ]; then mount -o remount,bind,ro "$jail$ws"; fi
mount --bind "$tmp" "$jail$tmp"
printf '%s\n' "$rw" | while IFS= read -r p; do
  [ -n "$p" ] || continue
  mkdir -p "$jail$p"; mount --bind "$p" "$jail$p"
done
printf '%s\n' "$wsro" | while IFS= read -r p; do
  [ -n "$p" ] || continue
  # never follow a planted symlink: only the real entry is bound over itself
  if [ -e "$ws/$p" ] && [ ! -L "$ws/$p" ]; then mount --bind "$ws/$p" "$jail$ws/$p"; mount -o remount,bind,ro "$jail$ws/$p"; fi
done
if [ "$how" = root ]; then
  exec chroot "$jail" /usr/bin/setpriv --reuid="$uid" --regid="$gid" --clear-groups \
    --bounding-set=-all --inh-caps=-all --no-new-privs -- \
    /usr/bin/prlimit --core=0 --cpu="$cpu" -- /bin/sh -c 'cd "$0" && exec "$@"' "$ws" "$@"
fi
exec /usr/bin/unshare --user --map-user="$uid" --map-group="$gid" --root="$jail" --wd="$ws" -- \
  /usr/bin/setpriv --no-new-privs -- /usr/bin/prlimit --core=0 --cpu="$cpu" -- "$@"
`;

/** Moves the shell into the job's cgroups (`$1` files), then execs the rest: nothing runs outside them. */
const CGROUP_ENTRY =
  'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1"; shift; n=$((n-1)); done; exec "$@"';

type JailHow = 'root' | 'userns';

export type SandboxMode = 'auto' | 'none';
let configuredMode: SandboxMode | undefined;

/** Sets the process-wide sandbox mode from the config file (`sandbox`); POWERAUTO_SANDBOX otherwise. */
export function configureSandbox(mode: SandboxMode): void {
  configuredMode = mode;
  // Engine processes started later (stdio transports, supervisors) read it from the environment.
  process.env.POWERAUTO_SANDBOX = mode;
}

export function sandboxMode(): SandboxMode {
  return configuredMode ?? (process.env.POWERAUTO_SANDBOX === 'none' ? 'none' : 'auto');
}

/** A host uid/gid of its own for a job key (workspace, service): stable, unprivileged, not a login. */
export function jailUid(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return 200_000 + (h % 60_000);
}

let probed: { how: JailHow | null; reason: string | null } | undefined;

/** Finds out once per process whether (and how) the jail can be built here. */
function probeJail(): { how: JailHow | null; reason: string | null } {
  probed ??= probe();
  return probed;
}

interface JailSpec {
  how: JailHow;
  ws: string;
  tmp: string;
  jail: string;
  ro: string[];
  rw: string[];
  wsro: string[];
  /** The workspace read-only too (a deployed release: only its data dir is writable). */
  wsReadOnly: boolean;
  uid: number;
  /** RLIMIT_CPU seconds per process, or null: unlimited (a long-running service). */
  cpuSeconds: number | null;
}

/** `unshare` arguments and the PA_JAIL_* variables of JAIL_SCRIPT. */
function jailArgs(spec: JailSpec): { args: string[]; env: Record<string, string> } {
  const unshare = ['--mount', '--net', '--pid', '--fork', '--kill-child', '--propagation', 'private'];
  if (spec.how === 'userns') unshare.unshift('--user', '--map-root-user');
  const inner = spec.how === 'root' ? spec.uid : 65_534;
  return {
    args: [...unshare, 'sh', '-c', JAIL_SCRIPT, 'jail'],
    env: {
      PA_JAIL_WS: spec.ws,
      PA_JAIL_TMP: spec.tmp,
      PA_JAIL_ROOT: spec.jail,
      PA_JAIL_RO: spec.ro.join('\n'),
      PA_JAIL_RW: spec.rw.join('\n'),
      PA_JAIL_WSRO: spec.wsro.join('\n'),
      PA_JAIL_UID: String(inner),
      PA_JAIL_HOW: spec.how,
      PA_JAIL_CPU: spec.cpuSeconds === null ? 'unlimited' : String(spec.cpuSeconds),
      PA_JAIL_WSMODE: spec.wsReadOnly ? 'ro' : 'rw',
    },
  };
}

function probe(): { how: JailHow | null; reason: string | null } {
  if (process.platform !== 'linux')
    return { how: null, reason: `namespaces need Linux (${process.platform})` };
  const dir = realpathSync(tmpdir());
  const reasons: string[] = [];
  const modes: JailHow[] = process.getuid?.() === 0 ? ['root', 'userns'] : ['userns'];
  // The jailed check: not uid 0, no capabilities, no host files, /proc/sys not writable.
  const check =
    'test "$(id -u)" != 0 && test ! -e /root/. && grep -q "CapEff:.0000000000000000" /proc/self/status && ! (echo x > /proc/sys/kernel/core_pattern) 2>/dev/null';
  for (const how of modes) {
    const root = mkdtempSync(join(dir, 'powerauto-probe-'));
    try {
      for (const d of ['ws', 'tmp', 'jail']) mkdirSync(join(root, d));
      const uid = jailUid(root);
      if (how === 'root') {
        chownSync(join(root, 'ws'), uid, uid);
        chownSync(join(root, 'tmp'), uid, uid);
      }
      const jail = jailArgs({
        how,
        ws: join(root, 'ws'),
        tmp: join(root, 'tmp'),
        jail: join(root, 'jail'),
        ro: [],
        rw: [],
        wsro: [],
        wsReadOnly: false,
        uid,
        cpuSeconds: 10,
      });
      const res = spawnSync('unshare', [...jail.args, '/bin/sh', '-c', check], {
        encoding: 'utf8',
        timeout: 10_000,
        env: { ...process.env, ...jail.env },
      });
      if (res.status === 0) return { how, reason: null };
      const why = (res.stderr || res.error?.message || `exit ${res.status}`).trim().split('\n').slice(-1)[0];
      reasons.push(`${how === 'root' ? 'as root' : 'in a user namespace'}: ${why || `exit ${res.status}`}`);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }
  return { how: null, reason: `namespace jail unavailable: ${reasons.join('; ')}` };
}

const WEAK = {
  filesystem: 'none',
  network: 'host',
  capabilities: 'inherited',
  processes: 'process-group',
  user: 'inherited',
  proc: 'host',
} as const;

/** What the sandbox enforces here in the configured mode (throws nothing; see `Sandbox.create`). */
export function probeIsolation(mode: SandboxMode = sandboxMode()): Isolation {
  if (mode === 'none') return { mode, ...WEAK, reason: 'disabled by configuration (sandbox: none)' };
  const { how, reason } = probeJail();
  if (how === null) return { mode, ...WEAK, reason };
  return {
    mode,
    filesystem: 'namespace',
    network: 'loopback',
    capabilities: 'dropped',
    processes: 'isolated',
    user: how === 'root' ? 'dedicated-uid' : 'user-namespace',
    proc: 'private',
    reason: null,
  };
}

/** Toolchain directories the jail must show read-only besides /usr (e.g. a Node under /opt). */
function nodeInstallDir(): string | null {
  const prefix = dirname(dirname(realpathSync(process.execPath)));
  return prefix === '/usr' || prefix.startsWith('/usr/') ? null : prefix;
}

/** Gives `dir`'s tree to `uid` (symlinks themselves, never their targets). */
async function chownTree(dir: string, uid: number, skip: Set<string> = new Set()): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (skip.has(entry.name)) continue;
    const path = join(dir, entry.name);
    await lchown(path, uid, uid).catch(() => undefined);
    if (entry.isDirectory()) await chownTree(path, uid);
  }
}

export interface SandboxLimits {
  /** Memory of the whole jail (cgroup), MiB. */
  memoryMb: number;
  /** Processes and threads in the jail (cgroup). */
  pids: number;
  /** CPU bandwidth, in CPUs (cgroup). */
  cpus: number;
}

export const DEFAULT_LIMITS: SandboxLimits = { memoryMb: 2048, pids: 512, cpus: 1 };

export interface SandboxOptions {
  /** The only writable place the program sees (its cwd). */
  workspace: string;
  /** Extra paths shown read-only (the shared dependency cache, a reporter file). */
  readOnly?: string[];
  /** Extra directories shown writable (a deployed service's data dir). */
  writable?: string[];
  /** Workspace entries shown read-only (default PROTECTED_ENTRIES). */
  protect?: string[];
  /**
   * The whole workspace read-only, and left the orchestrator's (not shared with the jail's uid):
   * a deployed release, whose only writable places are `writable` and its temp dir.
   */
  workspaceReadOnly?: boolean;
  /** `none` forces the weak mode (as `sandbox: none` does); default: the configured mode. */
  isolation?: 'auto' | 'none';
  /** Key of the job's own host uid (default: the workspace path). */
  uidKey?: string;
  limits?: Partial<SandboxLimits>;
}

export interface SandboxSpawnOptions {
  env?: Record<string, string>;
  stdio?: StdioOptions;
  /** Per-process CPU seconds (RLIMIT_CPU); default one hour, `run` uses its timeout; null: unlimited (services). */
  cpuSeconds?: number | null;
  /** Extra NODE_OPTIONS heap cap, MiB. */
  memoryMb?: number;
}

export interface SandboxChild {
  child: ChildProcess;
  /** Env variable names withheld from the child. */
  withheld: string[];
  /** Which limits the kernel enforces for this job (null without a jail). */
  limits: Limits | null;
  /** Reads the limits the job hit and removes its cgroup; call once the child has exited. */
  finish(): LimitUsage;
}

/**
 * A sandbox for one job: a private temp dir (HOME and TMPDIR of the child), then any number of
 * `run` (or `spawn`) calls, then `dispose`. Each run is a child process with a wall-clock limit (the
 * whole process group / PID namespace is killed), cgroup limits where the host allows, a stripped
 * environment, and a chroot jail in private mount/network/PID namespaces as an unprivileged uid
 * with no capabilities. Without a jail it refuses, unless `sandbox: none` was configured.
 */
export class Sandbox {
  readonly workspace: string;
  readonly tmpDir: string;
  readonly isolation: Isolation;
  /** Host uid (and gid) the jailed code runs as; null when it is the orchestrator's. */
  readonly uid: number | null;
  readonly limits: SandboxLimits;
  private readonly readOnly: string[];
  private readonly writable: string[];
  private readonly protect: string[];
  private readonly workspaceReadOnly: boolean;
  /** The sandbox's own directory (0711, the orchestrator's); its `tmp` is the jail's. */
  readonly runRoot: string;
  private readonly how: JailHow | null;

  private constructor(fields: {
    workspace: string;
    runRoot: string;
    readOnly: string[];
    writable: string[];
    protect: string[];
    workspaceReadOnly: boolean;
    isolation: Isolation;
    how: JailHow | null;
    uid: number | null;
    limits: SandboxLimits;
  }) {
    this.workspace = fields.workspace;
    this.runRoot = fields.runRoot;
    this.tmpDir = join(fields.runRoot, 'tmp');
    this.readOnly = fields.readOnly;
    this.writable = fields.writable;
    this.protect = fields.protect;
    this.workspaceReadOnly = fields.workspaceReadOnly;
    this.isolation = fields.isolation;
    this.how = fields.how;
    this.uid = fields.uid;
    this.limits = fields.limits;
  }

  static async create(options: SandboxOptions): Promise<Sandbox> {
    const mode: SandboxMode = options.isolation === 'none' ? 'none' : sandboxMode();
    const isolation = probeIsolation(mode);
    const how = mode === 'none' ? null : probeJail().how;
    if (mode === 'auto' && how === null) throw new SandboxUnavailableError(isolation.reason ?? 'unknown');
    const workspace = await realpath(options.workspace);
    const runRoot = await mkdtemp(join(await realpath(tmpdir()), 'powerauto-sbx-'));
    await mkdir(join(runRoot, 'tmp'));
    await mkdir(join(runRoot, 'jail'));
    const readOnly = await Promise.all((options.readOnly ?? []).map((p) => realpath(p)));
    const writable = await Promise.all((options.writable ?? []).map((p) => realpath(p)));
    const extra = nodeInstallDir();
    if (extra) readOnly.push(extra);
    const uid = how === 'root' ? jailUid(options.uidKey ?? workspace) : null;
    if (uid !== null) {
      await chmod(runRoot, 0o711);
      await lchown(join(runRoot, 'tmp'), uid, uid);
      for (const dir of writable) {
        await lchown(dir, uid, uid);
        await chownTree(dir, uid);
      }
    }
    return new Sandbox({
      workspace,
      runRoot,
      readOnly,
      writable,
      protect: options.workspaceReadOnly ? [] : (options.protect ?? PROTECTED_ENTRIES),
      workspaceReadOnly: options.workspaceReadOnly ?? false,
      isolation,
      how,
      uid,
      limits: { ...DEFAULT_LIMITS, ...options.limits },
    });
  }

  /**
   * Lets the jail's uid write the workspace, except the protected entries, which stay the
   * orchestrator's; the sticky top directory keeps the jail from renaming or deleting them.
   */
  private async shareWorkspace(): Promise<void> {
    if (this.uid === null || this.workspaceReadOnly) return;
    await chownTree(this.workspace, this.uid, new Set([...this.protect, 'node_modules']));
    await lchown(this.workspace, 0, this.uid);
    await chmod(this.workspace, 0o1775);
  }

  /** Starts `command` in the jail; the caller owns the child (services). */
  async spawn(command: string, args: string[], options: SandboxSpawnOptions = {}): Promise<SandboxChild> {
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
    const modules = await snapshotLink(join(this.workspace, 'node_modules'));
    await this.shareWorkspace();
    let file = command;
    let argv = args;
    let spawnEnv: Record<string, string> = env;
    let cgroup: JobCgroup | null = null;
    if (this.how !== null) {
      cgroup = JobCgroup.create({
        memoryBytes: this.limits.memoryMb * 1024 * 1024,
        pids: this.limits.pids,
        cpus: this.limits.cpus,
      });
      const cpu = options.cpuSeconds === undefined ? 3600 : options.cpuSeconds;
      const jail = jailArgs({
        how: this.how,
        ws: this.workspace,
        tmp: this.tmpDir,
        jail: join(this.runRoot, 'jail'),
        ro: this.readOnly,
        rw: this.writable,
        wsro: this.protect,
        wsReadOnly: this.workspaceReadOnly,
        uid: this.uid ?? 0,
        cpuSeconds: cpu === null ? null : Math.max(1, Math.ceil(cpu)),
      });
      spawnEnv = { ...env, ...jail.env };
      file = 'sh';
      argv = [
        '-c',
        CGROUP_ENTRY,
        'cgroup',
        String(cgroup.procs.length),
        ...cgroup.procs,
        'unshare',
        ...jail.args,
        command,
        ...args,
      ];
    }
    const child = spawn(file, argv, {
      cwd: this.workspace,
      env: spawnEnv,
      detached: true, // own process group: a timeout kills the program and everything it started
      stdio: options.stdio ?? ['ignore', 'pipe', 'pipe'],
    });
    let finished: LimitUsage | undefined;
    return {
      child,
      withheld,
      limits: cgroup?.limits ?? null,
      finish: () => {
        if (finished) return finished;
        finished = cgroup?.usage() ?? { memoryLimitHit: false, pidsLimitHit: false, cpuTimeMs: null };
        cgroup?.remove();
        restoreLink(join(this.workspace, 'node_modules'), modules);
        return finished;
      },
    };
  }

  async run(command: string, args: string[], options: SandboxRunOptions): Promise<SandboxResult> {
    const started = performance.now();
    const { child, withheld, limits, finish } = await this.spawn(command, args, {
      env: options.env,
      memoryMb: options.memoryMb,
      cpuSeconds: Math.ceil(options.timeoutMs / 1000) + 1,
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      if (stdout.length < OUTPUT_CAP) stdout += chunk;
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
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
    const usage = finish();
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
      limits,
      usage,
    };
  }

  async dispose(): Promise<void> {
    await rm(this.runRoot, { recursive: true, force: true });
  }
}

type LinkSnapshot = { kind: 'link'; target: string } | { kind: 'absent' } | { kind: 'other' };

async function snapshotLink(path: string): Promise<LinkSnapshot> {
  const info = await lstat(path).catch(() => null);
  if (info === null) return { kind: 'absent' };
  if (info.isSymbolicLink()) return { kind: 'link', target: await readlink(path) };
  return { kind: 'other' };
}

/** Puts the dependency link back if the jailed code replaced it (e.g. with a planted `.bin`). */
function restoreLink(path: string, before: LinkSnapshot): void {
  if (before.kind !== 'link') return;
  let now: string | null = null;
  try {
    now = lstatSync(path).isSymbolicLink() ? readlinkSync(path) : '';
  } catch {
    now = null;
  }
  if (now === before.target) return;
  rmSync(path, { recursive: true, force: true });
  symlinkSync(before.target, path, 'dir');
}
