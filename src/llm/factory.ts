import { type LlmConfig, llmEnabled, type ProviderConfig } from '../config/llm.js';
import type { Role } from '../contracts/models.js';
import { UsageMeter } from './accounting.js';
import { LlmClient } from './client.js';
import { LlmError } from './errors.js';
import { AnthropicProvider } from './providers/anthropic.js';
import { LlamaCppProvider } from './providers/llama-cpp.js';
import { OllamaProvider } from './providers/ollama.js';
import { OpenAiProvider } from './providers/openai.js';
import { ReplayProvider } from './providers/replay.js';
import type { RetryInfo } from './retry.js';
import type { LlmProvider } from './types.js';

export interface CreateLlmOptions {
  /** Where `apiKeyEnv` and `CI` are read. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Shared meter; one is created (with the configured budgets) when not given. */
  meter?: UsageMeter;
  onRetry?: (info: RetryInfo) => void;
}

function apiKeyOf(
  name: string,
  p: Exclude<ProviderConfig, { type: 'replay' }>,
  env: NodeJS.ProcessEnv,
): string | undefined {
  const key = p.apiKey ?? (p.apiKeyEnv ? env[p.apiKeyEnv] : undefined);
  if (!key && p.type === 'anthropic') {
    throw new LlmError(`provider ${name}: no API key: set the environment variable ${p.apiKeyEnv}`, {
      code: 'CONFIG_INVALID',
    });
  }
  return key || undefined;
}

/**
 * Builds one configured provider (a replay provider builds its inner provider too). `model` overrides the
 * configured model (per-engine selection); llama-cpp ignores it, its model is the GGUF file.
 */
export function createProvider(
  cfg: LlmConfig,
  name: string,
  env: NodeJS.ProcessEnv = process.env,
  model?: string,
): LlmProvider {
  const configured = cfg.providers[name];
  if (!configured)
    throw new LlmError(`unknown LLM provider ${JSON.stringify(name)}`, { code: 'CONFIG_INVALID' });
  const p = model !== undefined && configured.type !== 'llama-cpp' ? { ...configured, model } : configured;
  switch (p.type) {
    case 'openai':
      return new OpenAiProvider(name, p, apiKeyOf(name, p, env));
    case 'anthropic':
      return new AnthropicProvider(name, p, apiKeyOf(name, p, env)!);
    case 'ollama':
      return new OllamaProvider(name, p, apiKeyOf(name, p, env));
    case 'llama-cpp':
      return new LlamaCppProvider(name, p);
    case 'replay': {
      // A pure replay never touches the inner provider, so its missing key must not be an error.
      const inner =
        p.inner !== undefined && p.mode !== 'replay' ? createProvider(cfg, p.inner, env, model) : undefined;
      const innerCfg = p.inner !== undefined ? cfg.providers[p.inner] : undefined;
      const innerModel = model ?? (innerCfg && innerCfg.type !== 'replay' ? innerCfg.model : undefined);
      const innerType = innerCfg && innerCfg.type !== 'replay' ? innerCfg.type : undefined;
      return new ReplayProvider(name, {
        cassette: p.cassette,
        mode: p.mode,
        ...(inner ? { inner } : {}),
        ...((p.provider ?? innerType) ? { provider: p.provider ?? innerType } : {}),
        ...((p.model ?? innerModel) ? { model: p.model ?? innerModel } : {}),
        env,
      });
    }
  }
}

/** The configured LLM: providers built on first use, a client per engine, one shared usage meter. */
export class Llm {
  readonly meter: UsageMeter;
  private readonly providers = new Map<string, LlmProvider>();

  constructor(
    readonly config: LlmConfig,
    private readonly opts: CreateLlmOptions = {},
  ) {
    this.meter = opts.meter ?? new UsageMeter(config.budgets);
  }

  /** One instance per provider and model, shared by every engine that uses them. */
  provider(name: string, model?: string): LlmProvider {
    const type = this.config.providers[name]?.type;
    const key = JSON.stringify([name, type === 'llama-cpp' ? undefined : model]);
    let p = this.providers.get(key);
    if (!p) {
      p = createProvider(this.config, name, this.opts.env ?? process.env, model);
      this.providers.set(key, p);
    }
    return p;
  }

  /** The provider name an engine uses: its own entry, else `defaultProvider`, else the only provider. */
  providerNameFor(role: Role): string | undefined {
    const names = Object.keys(this.config.providers);
    return (
      this.config.engines[role]?.provider ??
      this.config.defaultProvider ??
      (names.length === 1 ? names[0] : undefined)
    );
  }

  /** A client for `role` with its provider and model, or undefined: that engine stays offline. */
  forEngine(role: Role): LlmClient | undefined {
    const name = this.providerNameFor(role);
    return name === undefined ? undefined : this.client(name, this.config.engines[role]?.model);
  }

  client(providerName: string, model?: string): LlmClient {
    return new LlmClient(this.provider(providerName, model), {
      prices: this.config.prices,
      retry: this.config.retry,
      meter: this.meter,
      repairAttempts: this.config.repairAttempts,
      ...(this.opts.onRetry ? { onRetry: this.opts.onRetry } : {}),
    });
  }

  async close(): Promise<void> {
    const all = [...this.providers.values()];
    this.providers.clear();
    await Promise.all(all.map((p) => p.close?.()));
  }
}

/** Undefined when no provider is configured: the offline engines run alone. */
export function createLlm(cfg: LlmConfig, opts: CreateLlmOptions = {}): Llm | undefined {
  return llmEnabled(cfg) ? new Llm(cfg, opts) : undefined;
}
