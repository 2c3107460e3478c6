import { z } from 'zod';

// Everything the service reads from its environment, checked once at start: a typo fails fast.
const Env = z.object({
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  /** PostgreSQL, e.g. postgres://user:pass@host:5432/db; unset: a SQLite file. */
  DATABASE_URL: z.string().url().optional(),
  /** The SQLite file; default `$DATA_DIR/service.sqlite`. `:memory:` keeps nothing. */
  DATABASE_FILE: z.string().min(1).optional(),
  DATA_DIR: z.string().min(1).default('data'),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
});

export interface Config {
  host: string;
  port: number;
  logLevel: z.infer<typeof Env>['LOG_LEVEL'];
  database: { kind: 'postgres'; url: string } | { kind: 'sqlite'; file: string };
  shutdownTimeoutMs: number;
}

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty values count as unset, as in most .env files.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = Env.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid environment: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  return {
    host: e.HOST,
    port: e.PORT,
    logLevel: e.LOG_LEVEL,
    database: e.DATABASE_URL
      ? { kind: 'postgres', url: e.DATABASE_URL }
      : { kind: 'sqlite', file: e.DATABASE_FILE ?? `${e.DATA_DIR.replace(/\/+$/, '')}/service.sqlite` },
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
  };
}
