import { z } from 'zod';
import { Environment } from '../../../../contracts/deployment.js';
import { AlertRule, MonitoringSettings } from '../../../shared/monitoring-settings.js';
import { EnvironmentSettings } from '../../settings.js';

// The requests only the deployment engine sends its environment's supervisor (launch.json, the control
// API's bodies). What others read back (state.json, supervisor.json, control answers) is in
// engines/shared/supervisor-api.ts. Both sides validate with these schemas: the supervisor may be an
// older or newer build.

/** `launch.json`: what the engine asks a new supervisor to be. */
export const LaunchConfig = z.object({
  project: z.string(),
  environment: Environment,
  proxyPort: z.number().int().min(1).max(65_535),
  token: z.string().min(16),
  settings: EnvironmentSettings,
});
export type LaunchConfig = z.infer<typeof LaunchConfig>;

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

export const MonitorStartRequest = z.object({
  settings: MonitoringSettings,
  /** Rules derived from the spec's NFR targets, added to the configured ones. */
  extraRules: z.array(AlertRule).default([]),
  smokePaths: z.array(z.string()).default([]),
});
export type MonitorStartRequest = z.input<typeof MonitorStartRequest>;
