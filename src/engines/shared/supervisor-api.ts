/**
 * The local-process supervisor of an environment as others see it: the files it writes (state.json,
 * supervisor.json), its control API's answers, and a client to a running one. The deployment engine
 * starts and drives supervisors (deployment/plugins/local-process); the monitoring engine starts, stops
 * and reads the watcher a supervisor hosts. Both sides validate with these schemas: the supervisor may
 * be an older or newer build.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { Environment, ReleaseIsolation } from '../../contracts/deployment.js';
import { PowerAutoError } from '../../contracts/errors.js';
import { readJson } from './files.js';
import { envDir } from './paths.js';
import { isAlive } from './processes.js';

export const ReleaseRole = z.enum(['starting', 'active', 'standby', 'stopped', 'failed', 'rolled_back']);
export type ReleaseRole = z.infer<typeof ReleaseRole>;

export const ReleaseRecord = z.object({
  version: z.string(),
  dir: z.string(),
  command: z.array(z.string()).min(1),
  env: z.record(z.string(), z.string()),
  port: z.number().int().nullable(),
  pid: z.number().int().nullable(),
  role: ReleaseRole,
  restarts: z.number().int(),
  logFile: z.string(),
  deployedAt: z.string(),
  deployedBy: z.string().nullable(),
  /** `auto`: in the sandbox's jail (refused without one); `none`: configured unisolated. */
  sandbox: z.enum(['auto', 'none']).default('auto'),
  /** The jail's first host process, leader of its process group (`pid` is the service itself). */
  jailPid: z.number().int().nullable().default(null),
  /** What held for the running (or last) process of this release. */
  isolation: ReleaseIsolation.nullable().default(null),
});
export type ReleaseRecord = z.infer<typeof ReleaseRecord>;

export const SupervisorEventType = z.enum([
  'supervisor_started',
  'started',
  'healthy',
  'unhealthy',
  'switched',
  'crashed',
  'restarted',
  'gave_up',
  'stopped',
  'rolled_back',
  'recovered',
]);
export type SupervisorEventType = z.infer<typeof SupervisorEventType>;

export const SupervisorEvent = z.object({
  at: z.string(),
  type: SupervisorEventType,
  version: z.string().nullable(),
  detail: z.string(),
  /** Time the action took (switch, restart, rollback), when it has one. */
  durationMs: z.number().nullable(),
});
export type SupervisorEvent = z.infer<typeof SupervisorEvent>;

/** `state.json`: written by the supervisor after every change. */
export const EnvState = z.object({
  project: z.string(),
  environment: Environment,
  proxyPort: z.number().int(),
  supervisorPid: z.number().int(),
  active: z.string().nullable(),
  previous: z.string().nullable(),
  releases: z.array(ReleaseRecord),
  events: z.array(SupervisorEvent),
  monitoring: z.boolean(),
  updatedAt: z.string(),
});
export type EnvState = z.infer<typeof EnvState>;

/** `supervisor.json`: written by a supervisor once it listens. */
export const SupervisorInfo = z.object({
  pid: z.number().int(),
  controlPort: z.number().int(),
  proxyPort: z.number().int(),
  token: z.string(),
  startedAt: z.string(),
});
export type SupervisorInfo = z.infer<typeof SupervisorInfo>;

export const ControlResult = z.object({
  ok: z.boolean(),
  reason: z.string().nullable(),
  state: EnvState,
});
export type ControlResult = z.infer<typeof ControlResult>;

export class SupervisorClient {
  constructor(
    readonly dir: string,
    readonly info: SupervisorInfo,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.info.proxyPort}`;
  }

  async call(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    timeoutMs = 120_000,
  ): Promise<ControlResult> {
    const res = await fetch(`http://127.0.0.1:${this.info.controlPort}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.info.token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const raw: unknown = await res.json();
    if (res.status !== 200) {
      const reason = z.object({ reason: z.string() }).safeParse(raw);
      throw new PowerAutoError(
        'ENGINE_FAILED',
        `supervisor ${path} answered ${res.status}: ${reason.success ? reason.data.reason : 'no reason'}`,
      );
    }
    return ControlResult.parse(raw);
  }

  async status(): Promise<ControlResult> {
    return this.call('GET', '/status', undefined, 5_000);
  }
}

/** The supervisor whose supervisor.json is in `dir`, if its process lives and it answers; else null. */
export async function reachableSupervisor(dir: string): Promise<SupervisorClient | null> {
  const info = await readJson(join(dir, 'supervisor.json'), SupervisorInfo).catch(() => undefined);
  if (info === undefined || !isAlive(info.pid)) return null;
  const client = new SupervisorClient(dir, info);
  try {
    await client.status();
    return client;
  } catch {
    return null;
  }
}

/** The running supervisor of an environment, or null (nothing is started). */
export async function findSupervisor(
  home: string,
  project: string,
  environment: Environment,
): Promise<SupervisorClient | null> {
  return reachableSupervisor(envDir(home, project, environment));
}
