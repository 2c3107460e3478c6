import { accessSync, chmodSync, constants, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { PowerAutoError } from '../contracts/errors.js';
import { Role } from '../contracts/models.js';
import { EngineLlmConfig } from './engine-llm.js';
import { EnginesConfig, embeddedEngine } from './engines.js';
import { OrchestratorConfig } from './orchestrator.js';

export const ServerConfig = z.object({
  /** Loopback by default: exposing the API is a deliberate choice. */
  host: z.string().default('127.0.0.1'),
  port: z.number().int().min(0).max(65_535).default(7420),
});

/** The whole configuration file, `$POWERAUTO_HOME/config.json` unless POWERAUTO_CONFIG names another. */
export const PowerAutoConfig = OrchestratorConfig.extend({
  engines: EnginesConfig.default(EnginesConfig.parse({})),
  server: ServerConfig.default(ServerConfig.parse({})),
  /** LLM providers per engine (see config/llm.ts); absent = every engine runs its offline brain. */
  llm: EngineLlmConfig.optional(),
  /**
   * `auto` (default): generated code runs only in the namespace jail, and refuses where it cannot be
   * built; `none`: run it without isolation, deliberately (recorded in every test report).
   */
  sandbox: z.enum(['auto', 'none']).optional(),
});
export type PowerAutoConfig = z.infer<typeof PowerAutoConfig>;

export interface LoadedConfig {
  home: string;
  configPath: string | null;
  config: PowerAutoConfig;
}

/** `$POWERAUTO_HOME`, default `./.powerauto`, created if missing and checked writable. */
export function resolveHome(env: NodeJS.ProcessEnv = process.env): string {
  const home = resolve(env.POWERAUTO_HOME ?? '.powerauto');
  try {
    if (existsSync(home) && !statSync(home).isDirectory()) throw new Error('it is not a directory');
    mkdirSync(home, { recursive: true, mode: 0o700 });
    // Owner-only: the database, the JWT secret and deploy tokens live here.
    chmodSync(home, 0o700);
    accessSync(home, constants.W_OK | constants.R_OK | constants.X_OK);
  } catch (err) {
    const reason = err instanceof Error ? err.message.replace(/^E[A-Z]+: /, '') : String(err);
    throw new PowerAutoError('HOME_UNUSABLE', `POWERAUTO_HOME ${home} is not usable: ${reason}`);
  }
  return home;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const home = resolveHome(env);
  const configPath = env.POWERAUTO_CONFIG ? resolve(env.POWERAUTO_CONFIG) : join(home, 'config.json');
  let raw: unknown = {};
  const exists = existsSync(configPath);
  if (env.POWERAUTO_CONFIG !== undefined && !exists) {
    throw new PowerAutoError('CONFIG_INVALID', `config file ${configPath} (POWERAUTO_CONFIG) does not exist`);
  }
  if (exists) {
    try {
      raw = JSON.parse(readFileSync(configPath, 'utf8'));
    } catch (err) {
      throw new PowerAutoError(
        'CONFIG_INVALID',
        `config file ${configPath} is not valid JSON: ${(err as Error).message}`,
      );
    }
  }
  const parsed = PowerAutoConfig.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PowerAutoError(
      'CONFIG_INVALID',
      `config file ${configPath}: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`,
    );
  }
  return { home, configPath: exists ? configPath : null, config: withEmbeddedEngines(parsed.data) };
}

/** Every role without a configured engine gets its built-in one (see EMBEDDED_TRANSPORTS). */
function withEmbeddedEngines(config: PowerAutoConfig): PowerAutoConfig {
  const configured = new Set(config.engines.engines.map((e) => e.role));
  const missing = Role.options.filter((role) => !configured.has(role));
  if (missing.length === 0) return config;
  return {
    ...config,
    engines: EnginesConfig.parse({
      ...config.engines,
      engines: [...config.engines.engines, ...missing.map(embeddedEngine)],
    }),
  };
}
