import { z } from 'zod';
import { parseSettings, readConfigSection } from '../shared/config.js';

export const EnvironmentSettings = z.object({
  /** The environment's stable port; 0 picks a free one on first deploy and keeps it from then on. */
  port: z.number().int().min(0).max(65_535).default(0),
  /** A new release must answer its health check within this, or it never takes traffic. */
  healthTimeoutMs: z.number().int().positive().default(30_000),
  healthPath: z.string().startsWith('/').default('/health'),
  /** Longest wait for in-flight requests on a release being stopped. */
  drainTimeoutMs: z.number().int().positive().default(10_000),
  /** Restarts of a crashed process before it is given up (counted per release). */
  maxRestarts: z.number().int().min(0).max(20).default(3),
});
export type EnvironmentSettings = z.infer<typeof EnvironmentSettings>;

const envDefaults = EnvironmentSettings.parse({});

export const DeploymentSettings = z.object({
  /** Plugin used when `deploy` does not name one. */
  plugin: z.string().min(1).default('local-process'),
  /** Extra plugins: name -> module path (absolute, or relative to $POWERAUTO_HOME) or npm package name. */
  plugins: z.record(z.string(), z.string().min(1)).default({}),
  environments: z
    .object({
      staging: EnvironmentSettings.default(envDefaults),
      production: EnvironmentSettings.default(envDefaults),
    })
    .default({ staging: envDefaults, production: envDefaults }),
  kubernetes: z
    .object({
      /** kubectl context to apply to; without one the manifests are only validated. */
      context: z.string().min(1).optional(),
      namespace: z.string().min(1).default('default'),
      kubectl: z.string().min(1).default('kubectl'),
    })
    .default({ namespace: 'default', kubectl: 'kubectl' }),
  docker: z.object({ command: z.string().min(1).default('docker') }).default({ command: 'docker' }),
  verify: z
    .object({
      requestTimeoutMs: z.number().int().positive().default(5_000),
      /** Wall-clock limit for the service's generated smoke suite, run in the sandbox. */
      suiteTimeoutMs: z.number().int().positive().default(60_000),
    })
    .default({ requestTimeoutMs: 5_000, suiteTimeoutMs: 60_000 }),
  /** Time a build may take in `release_prepare`. */
  buildTimeoutMs: z.number().int().positive().default(300_000),
});
export type DeploymentSettings = z.infer<typeof DeploymentSettings>;

export async function loadDeploymentSettings(
  env: NodeJS.ProcessEnv = process.env,
): Promise<DeploymentSettings> {
  return parseSettings(DeploymentSettings, await readConfigSection('deployment', env), 'deployment');
}
