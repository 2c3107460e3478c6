import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EngineLlmConfig } from '../config/engine-llm.js';
import { PowerAutoError } from '../contracts/errors.js';
import type { Role } from '../contracts/models.js';
import { createLlm, type Llm } from '../llm/index.js';
import type { Brain } from './brain.js';
import type { EngineLlm } from './llm-brain.js';

/**
 * The `llm` section of `$POWERAUTO_CONFIG` or `$POWERAUTO_HOME/config.json`, read by the engine itself:
 * an engine may run in its own process (`powerauto engine ROLE`), so it cannot be handed the
 * orchestrator's objects. Undefined when there is no file or no `llm` section.
 */
export function loadLlmConfig(env: NodeJS.ProcessEnv = process.env): EngineLlmConfig | undefined {
  const path = env.POWERAUTO_CONFIG
    ? resolve(env.POWERAUTO_CONFIG)
    : join(resolve(env.POWERAUTO_HOME ?? '.powerauto'), 'config.json');
  if (!existsSync(path)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new PowerAutoError(
      'CONFIG_INVALID',
      `config file ${path} is not valid JSON: ${(err as Error).message}`,
    );
  }
  const section = (raw as { llm?: unknown } | null)?.llm;
  if (section === undefined) return undefined;
  const parsed = EngineLlmConfig.safeParse(section);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PowerAutoError(
      'CONFIG_INVALID',
      `config file ${path}: llm.${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`,
    );
  }
  return parsed.data;
}

/** Every key the configured providers could send: redacted from any message an engine builds. */
function secretsOf(cfg: EngineLlmConfig, env: NodeJS.ProcessEnv): string[] {
  return Object.values(cfg.providers).flatMap((p) =>
    p.type === 'replay'
      ? []
      : [p.apiKey, p.apiKeyEnv === undefined ? undefined : env[p.apiKeyEnv]].filter((k): k is string => !!k),
  );
}

// One Llm per process and configuration: engines share providers (a loaded GGUF, sockets) and one meter.
let shared: { key: string; llm: Llm | undefined } | undefined;

/** The role's configured LLM, or undefined when no provider applies to it (the engine stays offline). */
export function engineLlmFor(role: Role, env: NodeJS.ProcessEnv = process.env): EngineLlm | undefined {
  const cfg = loadLlmConfig(env);
  if (cfg === undefined) return undefined;
  const secrets = secretsOf(cfg, env);
  const key = JSON.stringify([cfg, secrets]);
  if (shared?.key !== key) {
    void shared?.llm?.close().catch(() => {});
    shared = { key, llm: createLlm(cfg, { env }) };
  }
  const client = shared.llm?.forEngine(role);
  if (client === undefined) return undefined;
  return { role, client, fallback: cfg.fallback, secrets };
}

/** The one place that decides: the LLM brain when the config names a provider for `role`, else offline. */
export function selectBrain(
  role: Role,
  offline: Brain,
  llmBrain: (engine: EngineLlm) => Brain,
  env: NodeJS.ProcessEnv = process.env,
): Brain {
  const engine = engineLlmFor(role, env);
  return engine === undefined ? offline : llmBrain(engine);
}
