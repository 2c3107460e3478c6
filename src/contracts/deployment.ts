import { z } from 'zod';
import { SiteName } from './fields.js';
import { Metrics } from './models.js';
import { ProducedBy } from './produced-by.js';

export const Environment = z.enum(['staging', 'production']);
export type Environment = z.infer<typeof Environment>;

/** How the version was chosen from the changes since the previous tag. */
export const VersionBump = z.enum(['initial', 'minor', 'patch', 'none']);
export type VersionBump = z.infer<typeof VersionBump>;

/** Files `release_prepare` wrote into the workspace, relative to it. */
export const ReleaseFiles = z.object({
  changelog: z.string(),
  notes: z.string(),
  dockerfile: z.string(),
  kubernetes: z.array(z.string()),
  prometheus: z.string(),
  manifest: z.string(),
});
export type ReleaseFiles = z.infer<typeof ReleaseFiles>;

export const Release = z.object({
  /** Site name: the service's package name, made safe for paths and Kubernetes names. */
  project: SiteName,
  /** Semver, no `v`: it goes into the image tag, the Dockerfile and the git tag. */
  version: z
    .string()
    .refine((v) => /^\d{1,9}\.\d{1,9}\.\d{1,9}$/.test(v), { error: 'must be a version such as 1.2.3' }),
  previousVersion: z.string().nullable(),
  bump: VersionBump,
  tag: z.string(),
  /** Commit the tag points at. */
  commit: z.string(),
  notes: z.string(),
  requirementIds: z.array(z.string()),
  /** Tarball of the built service, outside the workspace (engine data dir). */
  artifactPath: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  files: ReleaseFiles,
  createdAt: z.string(),
  metrics: Metrics,
  producedBy: ProducedBy.optional(),
});
export type Release = z.infer<typeof Release>;

export const DeploymentStatus = z.enum([
  'running',
  'stopped',
  'failed',
  'rolled_back',
  /** Kubernetes without a context: manifests checked, nothing applied. */
  'validated',
  /** The plugin's runtime (Docker daemon, cluster) cannot be reached. */
  'unavailable',
]);
export type DeploymentStatus = z.infer<typeof DeploymentStatus>;

/**
 * One live smoke check against the deployment's stable URL: an HTTP check the engine made
 * (`method` GET), or one test of the service's generated smoke suite (`method` TEST, `path` its file).
 */
export const SmokeCheck = z.object({
  name: z.string(),
  method: z.string(),
  path: z.string(),
  /** HTTP status of an engine check; 0 for a suite test (its assertions speak instead). */
  status: z.number().int(),
  ok: z.boolean(),
  durationMs: z.number(),
  error: z.string().nullable(),
  /** The suite test's case id (`TC-001`); null for an engine check. */
  testId: z.string().nullable().default(null),
  /** Requirements the suite test covers (its `[REQ-xxx]` tags). */
  requirementIds: z.array(z.string()).default([]),
});
export type SmokeCheck = z.infer<typeof SmokeCheck>;

/** How one resource limit of a jailed release is enforced (cgroup v2/v1, or none and why). */
export const LimitHeld = z.object({
  enforcedBy: z.string(),
  max: z.number().nullable(),
  reason: z.string().nullable(),
});

/**
 * What held for a deployed release (local-process): its jail as measured by the sandbox probe.
 * `mode: none` when `sandbox: none` was configured and the release ran unisolated.
 */
export const ReleaseIsolation = z.object({
  mode: z.enum(['auto', 'none']),
  /** `namespace`: read-only view of the release, only its data dir and temp dir writable. */
  filesystem: z.string(),
  /** `loopback`: own network namespace; its port reached from the host through a relay. */
  network: z.string(),
  /** `dedicated-uid` (root host), `user-namespace`, or `inherited` (the orchestrator's uid). */
  user: z.string(),
  /** The host uid the service runs as; null when it is the orchestrator's. */
  uid: z.number().int().nullable(),
  capabilities: z.string(),
  processes: z.string(),
  proc: z.string(),
  /** The one writable directory that outlives a release. */
  dataDir: z.string(),
  /** Names (never values) of environment variables the service did not get. */
  withheldEnv: z.array(z.string()).default([]),
  limits: z.record(z.string(), LimitHeld).nullable(),
  reason: z.string().nullable(),
});
export type ReleaseIsolation = z.infer<typeof ReleaseIsolation>;

export const Deployment = z.object({
  /** Stable id of this deployment attempt (one per idempotency key). */
  id: z.string(),
  project: SiteName,
  environment: Environment,
  /** Stable per environment across releases (local-process: the environment's proxy). */
  url: z.string(),
  version: z.string(),
  /** The release this one replaced (what a rollback returns to); null for the first. */
  previousVersion: z.string().nullable(),
  status: DeploymentStatus,
  /** The service process (local-process); null where the plugin has none. */
  pid: z.number().int().nullable(),
  plugin: z.string(),
  runId: z.string().nullable(),
  idempotencyKey: z.string().nullable(),
  /** GET paths without parameters, from the workspace's openapi.yaml: smoke checks and probes. */
  smokePaths: z.array(z.string()).default([]),
  smoke: z.array(SmokeCheck).default([]),
  /** The generated smoke suite `deploy_verify` ran (`dist/test/smoke`); null: generic checks only. */
  smokeSuite: z.string().nullable().default(null),
  /** Why the status is what it is (failure, rollback, "validated only", "unavailable: …"). */
  reason: z.string().nullable().default(null),
  logFile: z.string().nullable().default(null),
  /** The jail the release runs in (local-process); null where the plugin has no such report. */
  isolation: ReleaseIsolation.nullable().default(null),
  createdAt: z.string(),
  metrics: Metrics,
  producedBy: ProducedBy.optional(),
});
export type Deployment = z.infer<typeof Deployment>;
