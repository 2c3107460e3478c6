import type { ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage } from '../../../../contracts/errors.js';
import { Watcher } from '../../../monitoring/watcher.js';
import { writeJsonAtomic } from '../../../shared/files.js';
import { isAlive } from '../../../shared/processes.js';
import type {
  ControlResult,
  EnvState,
  ReleaseRecord,
  SupervisorEvent,
  SupervisorEventType,
} from '../../../shared/supervisor-api.js';
import type { EnvironmentSettings } from '../../settings.js';
import { launchRelease } from './jail.js';
import { freePort, httpStatus, killGroup } from './net.js';
import type { LaunchConfig, MonitorStartRequest, StartReleaseRequest } from './protocol.js';
import { MonitorStartRequest as MonitorStartSchema, StartReleaseRequest as StartSchema } from './protocol.js';
import type { ReverseProxy } from './proxy.js';

const MAX_EVENTS = 200;
const MAX_RELEASE_RECORDS = 20;
const STOP_GRACE_MS = 5_000;

interface Running {
  child: ChildProcess;
  /** Resolves once the process has exited and its jail (relay, cgroup, temp dir) is freed. */
  exited: Promise<void>;
  /** Set before a deliberate stop, so the exit is not taken for a crash. */
  expected: boolean;
}

/**
 * One environment of one site, inside its detached supervisor process: starts releases as child
 * processes (each in its own process group, logs to a file), switches the proxy blue/green, keeps
 * the previous release warm for an instant rollback, restarts crashes a bounded number of times,
 * and hosts the monitoring watcher. Every state-changing command runs one at a time.
 */
export class EnvironmentSupervisor {
  readonly state: EnvState;
  readonly #dir: string;
  readonly #settings: EnvironmentSettings;
  readonly #proxy: ReverseProxy;
  readonly #running = new Map<string, Running>();
  #queue: Promise<unknown> = Promise.resolve();
  #watcher: Watcher | null = null;
  #stopping = false;

  constructor(dir: string, launch: LaunchConfig, proxy: ReverseProxy, previous: EnvState | undefined) {
    this.#dir = dir;
    this.#settings = launch.settings;
    this.#proxy = proxy;
    this.state = {
      project: launch.project,
      environment: launch.environment,
      proxyPort: launch.proxyPort,
      supervisorPid: process.pid,
      active: previous?.active ?? null,
      previous: previous?.previous ?? null,
      releases: previous?.releases ?? [],
      events: previous?.events ?? [],
      monitoring: false,
      updatedAt: new Date().toISOString(),
    };
  }

  get url(): string {
    return `http://127.0.0.1:${this.state.proxyPort}`;
  }

  /** After a supervisor restart: kill what the old one left, bring the active and previous back. */
  async recover(): Promise<void> {
    for (const rec of this.state.releases) {
      for (const pid of [rec.jailPid, rec.pid]) if (pid !== null && isAlive(pid)) killGroup(pid, 'SIGKILL');
      rec.pid = null;
      rec.jailPid = null;
    }
    this.#event('supervisor_started', null, `supervisor ${process.pid} on ${this.url}`, null);
    for (const version of [this.state.active, this.state.previous]) {
      const rec = version === null ? undefined : this.#record(version);
      if (rec === undefined) continue;
      const began = Date.now();
      const ok = await this.#startProcess(rec);
      if (ok && version === this.state.active && rec.port !== null) {
        this.#proxy.setTarget({ version: rec.version, port: rec.port });
      }
      this.#event(
        ok ? 'recovered' : 'unhealthy',
        rec.version,
        ok ? 'restarted after supervisor restart' : 'did not come back',
        Date.now() - began,
      );
    }
    await this.persist();
  }

  deploy(raw: StartReleaseRequest): Promise<ControlResult> {
    return this.#serial(() => this.#deploy(StartSchema.parse(raw)));
  }

  rollback(reason: string): Promise<ControlResult> {
    return this.#serial(() => this.#rollback(reason));
  }

  stopAll(): Promise<ControlResult> {
    return this.#serial(async () => {
      this.#stopping = true;
      await this.stopMonitor();
      this.#proxy.setTarget(null);
      for (const rec of this.state.releases) {
        if (this.#running.has(rec.version)) {
          await this.#drainAndStop(rec);
          if (rec.role === 'active' || rec.role === 'standby' || rec.role === 'starting')
            rec.role = 'stopped';
        }
      }
      this.state.active = null;
      this.#event('stopped', null, 'environment stopped', null);
      await this.persist();
      return this.#result(true, null);
    });
  }

  async startMonitor(raw: MonitorStartRequest): Promise<void> {
    const req = MonitorStartSchema.parse(raw);
    await this.stopMonitor();
    this.#watcher = new Watcher({
      dir: join(this.#dir, 'monitor'),
      project: this.state.project,
      environment: this.state.environment,
      settings: req.settings,
      extraRules: req.extraRules,
      smokePaths: req.smokePaths,
      baseUrl: this.url,
      target: () => {
        const rec = this.state.active === null ? undefined : this.#record(this.state.active);
        if (rec === undefined || rec.port === null) return null;
        return {
          version: rec.version,
          pid: rec.pid,
          metricsUrl: `http://127.0.0.1:${rec.port}/metrics`,
          deployedAt: Date.parse(rec.deployedAt),
        };
      },
      canRollback: () => this.state.previous !== null,
      rollback: async (reason) => {
        const result = await this.rollback(reason);
        return { ok: result.ok, detail: result.reason ?? `rolled back to ${result.state.active}` };
      },
    });
    this.#watcher.start();
    this.state.monitoring = true;
    await this.persist();
  }

  async stopMonitor(): Promise<void> {
    const watcher = this.#watcher;
    this.#watcher = null;
    if (watcher !== null) await watcher.stop();
    this.state.monitoring = false;
  }

  async persist(): Promise<void> {
    this.state.updatedAt = new Date().toISOString();
    await writeJsonAtomic(join(this.#dir, 'state.json'), this.state);
  }

  pids(): number[] {
    return [...this.#running.values()].map((r) => r.child.pid).filter((p): p is number => p !== undefined);
  }

  #serial<T>(task: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(task, task);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  #record(version: string): ReleaseRecord | undefined {
    return this.state.releases.find((r) => r.version === version);
  }

  #result(ok: boolean, reason: string | null): ControlResult {
    return { ok, reason, state: structuredClone(this.state) };
  }

  #event(type: SupervisorEventType, version: string | null, detail: string, durationMs: number | null): void {
    const event: SupervisorEvent = { at: new Date().toISOString(), type, version, detail, durationMs };
    this.state.events.push(event);
    if (this.state.events.length > MAX_EVENTS)
      this.state.events.splice(0, this.state.events.length - MAX_EVENTS);
    this.#watcher?.recordEvent(event);
  }

  async #deploy(req: ReturnType<typeof StartSchema.parse>): Promise<ControlResult> {
    const current = this.state.active === null ? undefined : this.#record(this.state.active);
    if (current !== undefined && current.version === req.version && this.#running.has(req.version)) {
      return this.#result(true, null);
    }
    let rec = this.#record(req.version);
    if (rec === undefined || !this.#running.has(req.version)) {
      rec = {
        version: req.version,
        dir: req.dir,
        command: req.command,
        env: req.env,
        port: null,
        pid: null,
        role: 'starting',
        restarts: 0,
        logFile: join(this.#dir, 'logs', `${req.version}.log`),
        deployedAt: new Date().toISOString(),
        deployedBy: req.deployedBy,
        sandbox: req.sandbox,
        jailPid: null,
        isolation: null,
      };
      this.state.releases = this.state.releases.filter((r) => r.version !== req.version);
      this.state.releases.push(rec);
      const began = Date.now();
      const healthy = await this.#startProcess(rec);
      if (!healthy.ok) {
        rec.role = 'failed';
        this.#event('unhealthy', rec.version, healthy.reason, Date.now() - began);
        this.#trim();
        await this.persist();
        return this.#result(false, healthy.reason);
      }
      this.#event('healthy', rec.version, `healthy on port ${rec.port}`, Date.now() - began);
    } else {
      // A warm standby being promoted again must still be healthy.
      const status = await httpStatus(`http://127.0.0.1:${rec.port}${this.#settings.healthPath}`, 2_000);
      if (status !== 200) {
        return this.#result(false, `release ${rec.version} (standby) answered ${status} to its health check`);
      }
      rec.deployedAt = new Date().toISOString();
      rec.deployedBy = req.deployedBy;
    }
    await this.#switchTo(rec, 'standby');
    await this.persist();
    return this.#result(true, null);
  }

  /** Points the proxy at `rec`; the release that had the traffic becomes `oldRole`. */
  async #switchTo(rec: ReleaseRecord, oldRole: 'standby' | 'rolled_back'): Promise<void> {
    const began = Date.now();
    const old = this.state.active === null ? undefined : this.#record(this.state.active);
    if (rec.port === null) throw new Error(`release ${rec.version} has no port`);
    this.#proxy.setTarget({ version: rec.version, port: rec.port });
    rec.role = 'active';
    this.state.active = rec.version;
    this.#event(
      'switched',
      rec.version,
      `traffic on ${rec.version}${old ? ` (was ${old.version})` : ''}`,
      Date.now() - began,
    );
    if (old !== undefined && old.version !== rec.version) {
      old.role = oldRole;
      if (oldRole === 'standby') {
        this.state.previous = old.version;
      } else {
        await this.#drainAndStop(old);
      }
    } else if (oldRole === 'rolled_back') {
      this.state.previous = null;
    }
    // Only the active and one warm previous release keep running.
    for (const other of this.state.releases) {
      if (other.version === this.state.active || other.version === this.state.previous) continue;
      if (this.#running.has(other.version)) {
        await this.#drainAndStop(other);
        if (other.role === 'standby' || other.role === 'active') other.role = 'stopped';
      }
    }
    this.#trim();
  }

  async #rollback(reason: string): Promise<ControlResult> {
    const began = Date.now();
    const bad = this.state.active;
    const target = this.state.previous === null ? undefined : this.#record(this.state.previous);
    if (target === undefined) return this.#result(false, `no previous release to roll back to (${reason})`);
    if (!this.#running.has(target.version)) {
      const started = await this.#startProcess(target);
      if (!started.ok)
        return this.#result(false, `previous release ${target.version} did not start: ${started.reason}`);
    }
    await this.#switchTo(target, 'rolled_back');
    this.state.previous = null;
    this.#event(
      'rolled_back',
      target.version,
      `from ${bad} to ${target.version}: ${reason}`,
      Date.now() - began,
    );
    await this.persist();
    return this.#result(true, null);
  }

  /** Starts `rec` on a free port and waits for its health check; kills it if it never passes. */
  async #startProcess(rec: ReleaseRecord): Promise<{ ok: true } | { ok: false; reason: string }> {
    const port = rec.port ?? (await freePort());
    rec.port = port;
    mkdirSync(join(this.#dir, 'logs'), { recursive: true });
    const fd = openSync(rec.logFile, 'a');
    let launched: Awaited<ReturnType<typeof launchRelease>>;
    try {
      launched = await launchRelease(rec, { port, logFd: fd, envDir: this.#dir });
    } catch (err) {
      // No jail, no start (unless `sandbox: none` was configured): the reason is the sandbox's.
      return { ok: false, reason: `release ${rec.version} was not started: ${errorMessage(err)}` };
    } finally {
      closeSync(fd);
    }
    const { child } = launched;
    rec.isolation = launched.isolation;
    const running: Running = {
      child,
      expected: false,
      exited: launched.exited.then(() => undefined),
    };
    child.once('error', () => undefined);
    this.#running.set(rec.version, running);
    rec.jailPid = child.pid ?? null;
    rec.pid = rec.jailPid;
    this.#event('started', rec.version, `pid ${rec.pid} on port ${port}`, null);
    child.once('exit', () => {
      if (this.#running.get(rec.version) === running) this.#running.delete(rec.version);
    });
    // After the jail is freed: a restart must find the port free again.
    void launched.exited.then(({ code, signal }) => {
      if (!running.expected) void this.#crashed(rec, code, signal);
    });

    const deadline = Date.now() + this.#settings.healthTimeoutMs;
    let last = 0;
    let exitedEarly = false;
    void running.exited.then(() => {
      exitedEarly = true;
    });
    while (Date.now() < deadline && !exitedEarly) {
      last = await httpStatus(`http://127.0.0.1:${port}${this.#settings.healthPath}`, 1_000);
      if (last === 200) {
        // The process that serves (inside the jail, the relay's child) is the one reported.
        rec.pid = launched.servicePid() ?? rec.jailPid;
        return { ok: true };
      }
      await sleep(100);
    }
    const exitedBeforeDeadline = exitedEarly;
    await this.#stopProcess(rec);
    const why = exitedBeforeDeadline
      ? `the process exited before its health check passed (see ${rec.logFile})`
      : `GET ${this.#settings.healthPath} answered ${last === 0 ? 'nothing' : last} for ${this.#settings.healthTimeoutMs} ms`;
    return { ok: false, reason: `release ${rec.version} failed its health check: ${why}` };
  }

  async #crashed(rec: ReleaseRecord, code: number | null, signal: NodeJS.Signals | null): Promise<void> {
    if (this.#stopping) return;
    const how = signal !== null ? `signal ${signal}` : `exit code ${code}`;
    this.#event('crashed', rec.version, `pid ${rec.pid} ended (${how})`, null);
    rec.pid = null;
    rec.jailPid = null;
    if (rec.role !== 'active' && rec.role !== 'standby') {
      await this.persist();
      return;
    }
    if (rec.restarts >= this.#settings.maxRestarts) {
      this.#event('gave_up', rec.version, `crashed ${rec.restarts + 1} times; not restarted`, null);
      const wasActive = rec.role === 'active';
      rec.role = 'failed';
      await this.persist();
      if (wasActive && this.state.previous !== null) await this.rollback(`${rec.version} keeps crashing`);
      return;
    }
    rec.restarts += 1;
    await sleep(Math.min(2_000, 100 * 2 ** (rec.restarts - 1)));
    if (this.#stopping) return;
    const began = Date.now();
    const result = await this.#startProcess(rec);
    this.#event(
      result.ok ? 'restarted' : 'unhealthy',
      rec.version,
      result.ok
        ? `restarted (${rec.restarts}/${this.#settings.maxRestarts}) as pid ${rec.pid}`
        : result.reason,
      Date.now() - began,
    );
    await this.persist();
  }

  /** Waits for requests in flight on `rec` to finish (bounded), then stops it. */
  async #drainAndStop(rec: ReleaseRecord): Promise<void> {
    const deadline = Date.now() + this.#settings.drainTimeoutMs;
    while (this.#proxy.inflight(rec.version) > 0 && Date.now() < deadline) await sleep(20);
    await this.#stopProcess(rec);
  }

  async #stopProcess(rec: ReleaseRecord): Promise<void> {
    const running = this.#running.get(rec.version);
    if (running !== undefined && running.child.pid !== undefined) {
      running.expected = true;
      // The jail's leader: its process group holds the relay and the service.
      const pid = running.child.pid;
      killGroup(pid, 'SIGTERM');
      const timedOut = await Promise.race([
        running.exited.then(() => false),
        sleep(STOP_GRACE_MS).then(() => true),
      ]);
      if (timedOut) {
        killGroup(pid, 'SIGKILL');
        await running.exited;
      } else {
        // Whatever the service itself started in its group goes too.
        killGroup(pid, 'SIGKILL');
      }
      this.#running.delete(rec.version);
    }
    if (rec.port !== null) this.#proxy.forgetPort(rec.port);
    rec.pid = null;
    rec.jailPid = null;
  }

  #trim(): void {
    if (this.state.releases.length <= MAX_RELEASE_RECORDS) return;
    const keep = new Set([this.state.active, this.state.previous]);
    const removable = this.state.releases.filter(
      (r) => !keep.has(r.version) && !this.#running.has(r.version),
    );
    const excess = this.state.releases.length - MAX_RELEASE_RECORDS;
    const drop = new Set(removable.slice(0, excess).map((r) => r.version));
    this.state.releases = this.state.releases.filter((r) => !drop.has(r.version));
  }
}
