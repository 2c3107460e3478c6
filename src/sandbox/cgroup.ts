import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';

/** How one resource limit is enforced for a sandboxed job. */
export interface LimitState {
  /** `cgroup-v2` / `cgroup-v1`: the kernel enforces it for the whole jail; `none`: not enforced. */
  enforcedBy: 'cgroup-v2' | 'cgroup-v1' | 'none';
  /** The configured limit (bytes, processes, CPUs), or null when not enforced. */
  max: number | null;
  /** Why it is not enforced, when it is not. */
  reason: string | null;
}

export interface Limits {
  memory: LimitState;
  pids: LimitState;
  /** CPU bandwidth (CPUs worth of time per period); total CPU time is also capped by RLIMIT_CPU. */
  cpu: LimitState;
}

/** What a job's cgroup saw after it ended: limits that were hit and CPU time used. */
export interface LimitUsage {
  memoryLimitHit: boolean;
  pidsLimitHit: boolean;
  cpuTimeMs: number | null;
}

export interface LimitRequest {
  memoryBytes: number;
  pids: number;
  cpus: number;
}

type Controller = 'memory' | 'pids' | 'cpu';
const CONTROLLERS: Controller[] = ['memory', 'pids', 'cpu'];

interface Mount {
  path: string;
  type: string;
  options: string[];
}

function mounts(): Mount[] {
  try {
    return readFileSync('/proc/self/mounts', 'utf8')
      .split('\n')
      .map((line) => line.split(' '))
      .filter((f) => f.length >= 4)
      .map(([, path = '', type = '', options = '']) => ({ path, type, options: options.split(',') }));
  } catch {
    return [];
  }
}

/** Our own cgroup path per hierarchy: `0::/x` (v2) and `4:memory:/y` (v1). */
function ownCgroups(): { v2: string | null; v1: Map<string, string> } {
  const v1 = new Map<string, string>();
  let v2: string | null = null;
  try {
    for (const line of readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
      const m = /^(\d+):([^:]*):(.*)$/.exec(line);
      if (!m) continue;
      if (m[1] === '0' && m[2] === '') v2 = m[3] ?? '/';
      else for (const c of (m[2] ?? '').split(',')) v1.set(c, m[3] ?? '/');
    }
  } catch {
    // no /proc: no cgroups
  }
  return { v2, v1 };
}

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function tryWrite(path: string, value: string): string | null {
  try {
    writeFileSync(path, value);
    return null;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? String(err);
  }
}

function counter(text: string, key: string): number {
  const m = new RegExp(`^${key} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

let sequence = 0;

/**
 * A cgroup (v2 where the host delegates controllers, else the v1 hierarchies) holding one sandboxed
 * job. The jail's first process moves itself in (`procs` files) before anything untrusted runs, so
 * every descendant is limited. Not available without write access to the hierarchy (non-root
 * without delegation): then each limit says `none` and why.
 */
export class JobCgroup {
  readonly limits: Limits;
  /** `cgroup.procs` files the job's first process must write its pid into. */
  readonly procs: string[];
  private readonly dirs: string[];
  private readonly v2Dir: string | null;
  private readonly v1Dirs: Map<Controller, string>;

  private constructor(limits: Limits, dirs: string[], v2Dir: string | null, v1Dirs: Map<Controller, string>) {
    this.limits = limits;
    this.dirs = dirs;
    this.v2Dir = v2Dir;
    this.v1Dirs = v1Dirs;
    this.procs = [...new Set(dirs)].map((d) => join(d, 'cgroup.procs'));
  }

  static create(request: LimitRequest): JobCgroup {
    // Thread id too: engines in worker threads share the pid and each count from 1.
    const name = `powerauto-${process.pid}-${threadId}-${++sequence}`;
    const none = (reason: string): LimitState => ({ enforcedBy: 'none', max: null, reason });
    const wanted: Record<Controller, { file2: string; value2: string; max: number }> = {
      memory: { file2: 'memory.max', value2: String(request.memoryBytes), max: request.memoryBytes },
      pids: { file2: 'pids.max', value2: String(request.pids), max: request.pids },
      cpu: {
        file2: 'cpu.max',
        value2: `${Math.round(request.cpus * 100_000)} 100000`,
        max: request.cpus,
      },
    };
    const limits: Limits = {
      memory: none('no cgroup hierarchy with this controller is writable here'),
      pids: none('no cgroup hierarchy with this controller is writable here'),
      cpu: none('no cgroup hierarchy with this controller is writable here'),
    };
    if (process.platform !== 'linux') {
      for (const c of CONTROLLERS) limits[c] = none(`cgroups need Linux (${process.platform})`);
      return new JobCgroup(limits, [], null, new Map());
    }
    const all = mounts();
    const own = ownCgroups();
    const dirs: string[] = [];
    let v2Dir: string | null = null;
    const v1Dirs = new Map<Controller, string>();

    // cgroup v2: a child of our own cgroup, when its subtree already delegates the controllers.
    const v2Mount = all.find((m) => m.type === 'cgroup2');
    if (v2Mount && own.v2 !== null) {
      const parent = join(v2Mount.path, own.v2);
      const delegated = read(join(parent, 'cgroup.subtree_control')).split(/\s+/);
      const usable = CONTROLLERS.filter((c) => delegated.includes(c));
      if (usable.length > 0) {
        const dir = join(parent, name);
        try {
          mkdirSync(dir);
          v2Dir = dir;
          dirs.push(dir);
          for (const c of usable) {
            const err = tryWrite(join(dir, wanted[c].file2), wanted[c].value2);
            limits[c] =
              err === null
                ? { enforcedBy: 'cgroup-v2', max: wanted[c].max, reason: null }
                : none(`cgroup v2 ${wanted[c].file2}: ${err}`);
          }
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code ?? String(err);
          for (const c of usable) limits[c] = none(`cannot create a cgroup v2 child of ${parent}: ${code}`);
        }
      } else {
        for (const c of CONTROLLERS) {
          limits[c] = none(`cgroup v2 ${parent} does not delegate the ${c} controller`);
        }
      }
    }

    // cgroup v1 for whatever v2 did not give.
    for (const c of CONTROLLERS) {
      if (limits[c].enforcedBy !== 'none') continue;
      const mount = all.find((m) => m.type === 'cgroup' && m.options.includes(c));
      const path = own.v1.get(c);
      if (!mount || path === undefined) continue;
      const dir = join(mount.path, path, name);
      try {
        if (!existsSync(dir)) mkdirSync(dir);
      } catch (err) {
        limits[c] = none(`cannot create a cgroup v1 ${c} group: ${(err as NodeJS.ErrnoException).code}`);
        continue;
      }
      let err: string | null;
      if (c === 'memory') {
        err = tryWrite(join(dir, 'memory.limit_in_bytes'), String(request.memoryBytes));
        // Swap too, where accounted, or the limit only moves memory to swap.
        if (err === null && existsSync(join(dir, 'memory.memsw.limit_in_bytes')))
          tryWrite(join(dir, 'memory.memsw.limit_in_bytes'), String(request.memoryBytes));
      } else if (c === 'pids') {
        err = tryWrite(join(dir, 'pids.max'), String(request.pids));
      } else {
        err =
          tryWrite(join(dir, 'cpu.cfs_period_us'), '100000') ??
          tryWrite(join(dir, 'cpu.cfs_quota_us'), String(Math.round(request.cpus * 100_000)));
      }
      if (err !== null) {
        limits[c] = none(`cgroup v1 ${c}: ${err}`);
        try {
          rmdirSync(dir);
        } catch {
          // left for the host to clean
        }
        continue;
      }
      v1Dirs.set(c, dir);
      dirs.push(dir);
      limits[c] = { enforcedBy: 'cgroup-v1', max: wanted[c].max, reason: null };
    }
    return new JobCgroup(limits, dirs, v2Dir, v1Dirs);
  }

  /** Limits hit and CPU time used, read before `remove`. */
  usage(): LimitUsage {
    let memoryLimitHit = false;
    let pidsLimitHit = false;
    let cpuTimeMs: number | null = null;
    if (this.v2Dir !== null) {
      const mem = read(join(this.v2Dir, 'memory.events'));
      if (mem) memoryLimitHit = counter(mem, 'oom_kill') > 0 || counter(mem, 'max') > 0;
      const pids = read(join(this.v2Dir, 'pids.events'));
      if (pids) pidsLimitHit = counter(pids, 'max') > 0;
      const cpu = read(join(this.v2Dir, 'cpu.stat'));
      if (cpu) cpuTimeMs = Math.round(counter(cpu, 'usage_usec') / 1000);
    }
    const mem1 = this.v1Dirs.get('memory');
    if (mem1) {
      memoryLimitHit ||=
        Number(read(join(mem1, 'memory.failcnt')).trim() || 0) > 0 ||
        counter(read(join(mem1, 'memory.oom_control')), 'oom_kill') > 0;
    }
    const pids1 = this.v1Dirs.get('pids');
    if (pids1) pidsLimitHit ||= counter(read(join(pids1, 'pids.events')), 'max') > 0;
    const cpu1 = this.v1Dirs.get('cpu');
    if (cpu1 && cpuTimeMs === null) {
      const ns = read(join(cpu1, 'cpuacct.usage')).trim();
      if (ns) cpuTimeMs = Math.round(Number(ns) / 1e6);
    }
    return { memoryLimitHit, pidsLimitHit, cpuTimeMs };
  }

  /** Kills whatever is still in the job's cgroups (stray processes), then removes them. */
  remove(): void {
    for (const dir of [...new Set(this.dirs)]) {
      for (let attempt = 0; attempt < 50; attempt++) {
        const pids = read(join(dir, 'cgroup.procs')).split('\n').filter(Boolean).map(Number);
        for (const pid of pids) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // gone
          }
        }
        try {
          rmdirSync(dir);
          break;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') break;
          // EBUSY while the killed tasks exit; spin briefly (synchronous: called from cleanup paths)
          const until = Date.now() + 20;
          while (Date.now() < until) {
            /* wait */
          }
        }
      }
    }
  }
}
