import { z } from 'zod';
import { Role } from '../contracts/models.js';

/** The engine runs inside this process, connected through an in-memory MCP transport. */
export const InprocTransportConfig = z.object({ type: z.literal('inproc') });

/**
 * The built-in engine of the role in a worker thread of this process: like `inproc`, but its
 * CPU-bound work does not hold the API's event loop.
 */
export const WorkerTransportConfig = z.object({ type: z.literal('worker') });

/** A child process speaking MCP on stdin/stdout; restarted when it dies. */
export const StdioTransportConfig = z.object({
  type: z.literal('stdio'),
  command: z.string().min(1),
  args: z.array(z.string()).default([]),
  /** Added to a minimal inherited environment (PATH, HOME, …), not to the whole parent environment. */
  env: z.record(z.string(), z.string()).default({}),
  cwd: z.string().optional(),
});

/** A Streamable HTTP MCP endpoint, e.g. `http://127.0.0.1:7431/mcp`. */
export const HttpTransportConfig = z.object({
  type: z.literal('http'),
  url: z.url(),
  headers: z.record(z.string(), z.string()).default({}),
});

export const TransportConfig = z.discriminatedUnion('type', [
  InprocTransportConfig,
  WorkerTransportConfig,
  StdioTransportConfig,
  HttpTransportConfig,
]);
export type TransportConfig = z.output<typeof TransportConfig>;

export const EngineEntry = z.object({
  role: Role,
  /** Unique among engines and auxiliary servers; defaults to the role. */
  name: z.string().min(1).optional(),
  transport: TransportConfig.default({ type: 'inproc' }),
  /** Instances started from this entry; calls are balanced over them. */
  replicas: z.number().int().min(1).max(64).default(1),
  /** Calls running at once on one instance; more wait in that instance's queue. */
  maxConcurrency: z.number().int().min(1).max(1024).default(8),
  /**
   * Per-attempt timeout, reset whenever the engine reports progress. Progress is asked for when the
   * caller listens, which the orchestrator always does.
   */
  timeoutMs: z.number().int().positive().default(60_000),
  /** Cap over all attempts of one call, progress or not. */
  totalTimeoutMs: z.number().int().positive().default(600_000),
});
export type EngineEntry = z.output<typeof EngineEntry>;

export const AuxiliaryEntry = z.object({
  name: z.string().min(1),
  transport: z.discriminatedUnion('type', [StdioTransportConfig, HttpTransportConfig]),
  maxConcurrency: z.number().int().min(1).max(1024).default(4),
  timeoutMs: z.number().int().positive().default(60_000),
});
export type AuxiliaryEntry = z.output<typeof AuxiliaryEntry>;

export const HealthConfig = z.object({
  /** How often each instance is pinged. */
  intervalMs: z.number().int().positive().default(5_000),
  /** A ping slower than this counts as a failure. */
  timeoutMs: z.number().int().positive().default(2_000),
});

export const BreakerConfig = z.object({
  /** Consecutive failures (calls or pings) that open an instance's breaker. */
  failureThreshold: z.number().int().min(1).default(3),
  /** Time an open breaker waits before letting one probe through (half-open). */
  cooldownMs: z.number().int().positive().default(10_000),
});

export const RestartConfig = z.object({
  /** First delay before reconnecting a crashed or disconnected instance; doubles up to maxDelayMs. */
  delayMs: z.number().int().min(0).default(200),
  maxDelayMs: z.number().int().positive().default(10_000),
  /** Connect + initialize + tools/list must finish within this. */
  connectTimeoutMs: z.number().int().positive().default(30_000),
});

export const EnginesConfig = z
  .object({
    engines: z.array(EngineEntry).default([]),
    auxiliary: z.array(AuxiliaryEntry).default([]),
    /** Attempts per call, on different instances where possible (transport failures and timeouts only). */
    maxAttempts: z.number().int().min(1).max(10).default(3),
    health: HealthConfig.default(HealthConfig.parse({})),
    breaker: BreakerConfig.default(BreakerConfig.parse({})),
    restart: RestartConfig.default(RestartConfig.parse({})),
  })
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    const names = [
      ...config.engines.map((e, i) => ({ name: e.name ?? e.role, path: ['engines', i, 'name'] })),
      ...config.auxiliary.map((a, i) => ({ name: a.name, path: ['auxiliary', i, 'name'] })),
    ];
    for (const { name, path } of names) {
      if (seen.has(name)) ctx.addIssue({ code: 'custom', path, message: `duplicate server name "${name}"` });
      seen.add(name);
    }
  });
export type EnginesConfig = z.output<typeof EnginesConfig>;
export type EnginesConfigInput = z.input<typeof EnginesConfig>;

/**
 * How a role's built-in engine runs when config names no engine for it: the roles that compute
 * for seconds on a long requirement (analysis, design, generation) in a worker thread, so the
 * API stays responsive; the others, which mostly wait on child processes, in-process.
 */
export const EMBEDDED_TRANSPORTS: Record<Role, 'inproc' | 'worker'> = {
  requirements: 'worker',
  architecture: 'worker',
  coding: 'worker',
  testing: 'inproc',
  deployment: 'inproc',
  monitoring: 'inproc',
};

export function embeddedEngine(role: Role): EngineEntry {
  return EngineEntry.parse({ role, transport: { type: EMBEDDED_TRANSPORTS[role] } });
}

/** The embedded default: every role's built-in offline engine. */
export function defaultEnginesConfig(): EnginesConfig {
  return EnginesConfig.parse({ engines: Role.options.map(embeddedEngine) });
}

export function engineName(entry: EngineEntry): string {
  return entry.name ?? entry.role;
}
