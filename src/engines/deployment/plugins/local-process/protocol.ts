import { z } from 'zod';
import { Environment, ReleaseIsolation } from '../../../../contracts/deployment.js';
import { AlertRule, MonitoringSettings } from '../../../shared/monitoring-settings.js';
import { EnvironmentSettings } from '../../settings.js';

// The files and the loopback control API shared by the engine and the environment's supervisor.
// Both sides validate with these schemas: the supervisor may be an older or newer build.

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

/** `launch.json`: what the engine asks a new supervisor to be. */
export const LaunchConfig = z.object({
  project: z.string(),
  environment: Environment,
  proxyPort: z.number().int().min(1).max(65_535),
  token: z.string().min(16),
  settings: EnvironmentSettings,
});
export type LaunchConfig = z.infer<typeof LaunchConfig>;

/** `supervisor.json`: written by a supervisor once it listens. */
export const SupervisorInfo = z.object({
  pid: z.number().int(),
  controlPort: z.number().int(),
  proxyPort: z.number().int(),
  token: z.string(),
  startedAt: z.string(),
});
export type SupervisorInfo = z.infer<typeof SupervisorInfo>;

export const StartReleaseRequest = z.object({
  version: z.string().min(1),
  dir: z.string().min(1),
  command: z.array(z.string()).min(1),
  env: z.record(z.string(), z.string()).default({}),
  deployedBy: z.string().nullable().default(null),
  /** The engine's sandbox mode (config `sandbox` / POWERAUTO_SANDBOX). */
  sandbox: z.enum(['auto', 'none']).default('auto'),
});
export type StartReleaseRequest = z.input<typeof StartReleaseRequest>;

export const RollbackRequest = z.object({ reason: z.string().default('requested') });

export const ControlResult = z.object({
  ok: z.boolean(),
  reason: z.string().nullable(),
  state: EnvState,
});
export type ControlResult = z.infer<typeof ControlResult>;

export const MonitorStartRequest = z.object({
  settings: MonitoringSettings,
  /** Rules derived from the spec's NFR targets, added to the configured ones. */
  extraRules: z.array(AlertRule).default([]),
  smokePaths: z.array(z.string()).default([]),
});
export type MonitorStartRequest = z.input<typeof MonitorStartRequest>;
