import { z } from 'zod';
import { Role } from '../contracts/models.js';

/**
 * LLM configuration. Nothing configured (no providers) means no LLM: every engine runs its offline,
 * deterministic brain. API keys are read from the environment variable named by `apiKeyEnv`; an inline
 * `apiKey` works too but is discouraged (config files get committed and logged).
 */

const Common = {
  /** Model id sent to the server (or a label, for llama-cpp). */
  model: z.string().min(1),
  /** Environment variable holding the API key. */
  apiKeyEnv: z.string().min(1).optional(),
  /** Inline key; prefer `apiKeyEnv`. Never logged. */
  apiKey: z.string().min(1).optional(),
  /** Per-attempt timeout, covering the whole response including a stream. Default 120 s. */
  timeoutMs: z.number().int().positive().default(120_000),
  /** Output token cap when a call does not set one. Default 4096. */
  maxTokens: z.number().int().positive().default(4096),
  /** Sampling temperature when a call does not set one; unset = the server's default. */
  temperature: z.number().min(0).max(2).optional(),
  /** Extra request headers (e.g. an organisation id). */
  headers: z.record(z.string(), z.string()).default({}),
};

export const OpenAiProviderConfig = z.object({
  type: z.literal('openai'),
  ...Common,
  /** Any OpenAI-compatible `/v1` base: OpenAI, Azure OpenAI, vLLM, LM Studio, DeepSeek, Ollama's `/v1`. */
  baseUrl: z.url().default('https://api.openai.com/v1'),
  apiKeyEnv: z.string().min(1).default('OPENAI_API_KEY'),
  /**
   * `json_schema` (default): schema-constrained `response_format`. `json_object`: JSON mode with the
   * schema in the prompt, for servers without structured outputs.
   */
  structuredOutput: z.enum(['json_schema', 'json_object']).default('json_schema'),
  /** Azure OpenAI wants `api-key`; everyone else `Authorization: Bearer`. */
  apiKeyHeader: z.enum(['authorization', 'api-key']).default('authorization'),
  /** Query parameters added to every request, e.g. `{ "api-version": "2024-10-21" }` for Azure. */
  query: z.record(z.string(), z.string()).default({}),
});

export const AnthropicProviderConfig = z.object({
  type: z.literal('anthropic'),
  ...Common,
  baseUrl: z.url().default('https://api.anthropic.com'),
  apiKeyEnv: z.string().min(1).default('ANTHROPIC_API_KEY'),
  /** The `anthropic-version` header. */
  version: z.string().default('2023-06-01'),
});

export const OllamaProviderConfig = z.object({
  type: z.literal('ollama'),
  ...Common,
  baseUrl: z.url().default('http://127.0.0.1:11434'),
  /** How long Ollama keeps the model loaded after a call, e.g. `5m`. Unset = the server's default. */
  keepAlive: z.string().optional(),
});

export const LlamaCppProviderConfig = z.object({
  type: z.literal('llama-cpp'),
  ...Common,
  /** Defaults to the GGUF file's name. */
  model: z.string().min(1).optional(),
  /** A local GGUF file. */
  modelPath: z.string().min(1),
  /** Context window in tokens. Default 4096. */
  contextSize: z.number().int().positive().default(4096),
  /** `false` (default) = CPU only; `auto` lets node-llama-cpp pick CUDA/Vulkan/Metal when present. */
  gpu: z.union([z.literal(false), z.literal('auto')]).default(false),
  threads: z.number().int().positive().optional(),
  /** Seed for sampling when temperature > 0, for reproducible output. */
  seed: z.number().int().optional(),
});

export const ReplayProviderConfig = z.object({
  type: z.literal('replay'),
  /** The cassette file (JSON). Relative paths are resolved from the working directory. */
  cassette: z.string().min(1),
  /**
   * `replay`: only recorded answers; a miss is an error. `record`: always call `inner` and overwrite.
   * `auto` (default): replay when recorded, else call `inner` and record. With `CI` set, a miss always fails.
   */
  mode: z.enum(['record', 'replay', 'auto']).default('auto'),
  /** The provider (by name) that really answers when recording. */
  inner: z.string().min(1).optional(),
  /** Model for the key when there is no `inner` (pure replay): the recorded provider's model. */
  model: z.string().min(1).optional(),
  /** Provider type for the key when there is no `inner`: the type of the provider that was recorded. */
  provider: z.enum(['openai', 'anthropic', 'ollama', 'llama-cpp']).optional(),
});

export const ProviderConfig = z.discriminatedUnion('type', [
  OpenAiProviderConfig,
  AnthropicProviderConfig,
  OllamaProviderConfig,
  LlamaCppProviderConfig,
  ReplayProviderConfig,
]);
export type ProviderConfig = z.output<typeof ProviderConfig>;
export type OpenAiProviderConfig = z.output<typeof OpenAiProviderConfig>;
export type AnthropicProviderConfig = z.output<typeof AnthropicProviderConfig>;
export type OllamaProviderConfig = z.output<typeof OllamaProviderConfig>;
export type LlamaCppProviderConfig = z.output<typeof LlamaCppProviderConfig>;
export type ReplayProviderConfig = z.output<typeof ReplayProviderConfig>;

/** USD per million tokens. */
export const Price = z.object({
  inputPerMTok: z.number().min(0),
  outputPerMTok: z.number().min(0),
});
export type Price = z.output<typeof Price>;

export const Budget = z.object({
  /** Input + output tokens. */
  tokens: z.number().int().positive().optional(),
  costUsd: z.number().positive().optional(),
});
export type Budget = z.output<typeof Budget>;

export const RetryConfig = z.object({
  /** Attempts in all, the first included. Default 4. */
  maxAttempts: z.number().int().min(1).max(10).default(4),
  /** First backoff, doubled per attempt with jitter. Default 500 ms. */
  baseDelayMs: z.number().int().min(0).default(500),
  /** Backoff cap. Default 8 s. */
  maxDelayMs: z.number().int().min(0).default(8_000),
  /** A Retry-After longer than this fails the call instead of waiting. Default 60 s. */
  maxRetryAfterMs: z.number().int().min(0).default(60_000),
});
export type RetryConfig = z.output<typeof RetryConfig>;

export const EngineModelChoice = z.object({
  /** A key of `providers`. */
  provider: z.string().min(1),
  /** Overrides the provider's `model` for this engine (e.g. a cheap model for requirements). */
  model: z.string().min(1).optional(),
});
export type EngineModelChoice = z.output<typeof EngineModelChoice>;

export const LlmConfig = z
  .object({
    /** By name; the name is what engines, prices and the replay `inner` refer to. Empty = no LLM. */
    providers: z.record(z.string().min(1), ProviderConfig).default({}),
    /** Used by engines without their own entry; defaults to the only provider when there is one. */
    defaultProvider: z.string().min(1).optional(),
    /** Per-engine provider and model. */
    engines: z.partialRecord(Role, EngineModelChoice).default({}),
    /** `"<provider name>/<model>"` (or `"<provider type>/<model>"`) to price. Unpriced calls cost `null`. */
    prices: z.record(z.string().min(1), Price).default({}),
    budgets: z
      .object({
        perRun: Budget.optional(),
        perStep: Budget.optional(),
        perCall: Budget.optional(),
      })
      .default({}),
    retry: RetryConfig.default(RetryConfig.parse({})),
    /** Extra attempts that feed validation errors back to the model. Default 2. */
    repairAttempts: z.number().int().min(0).max(5).default(2),
  })
  .superRefine((cfg, ctx) => {
    const names = new Set(Object.keys(cfg.providers));
    const refer = (name: string | undefined, path: (string | number)[]) => {
      if (name !== undefined && !names.has(name)) {
        ctx.addIssue({ code: 'custom', path, message: `unknown provider ${JSON.stringify(name)}` });
      }
    };
    refer(cfg.defaultProvider, ['defaultProvider']);
    for (const [role, choice] of Object.entries(cfg.engines))
      refer(choice?.provider, ['engines', role, 'provider']);
    for (const [name, p] of Object.entries(cfg.providers)) {
      if (p.type !== 'replay') continue;
      refer(p.inner, ['providers', name, 'inner']);
      if (p.inner !== undefined && cfg.providers[p.inner]?.type === 'replay') {
        ctx.addIssue({
          code: 'custom',
          path: ['providers', name, 'inner'],
          message: 'a replay cannot wrap a replay',
        });
      }
      if (p.inner === undefined && (p.model === undefined || p.provider === undefined)) {
        ctx.addIssue({
          code: 'custom',
          path: ['providers', name],
          message: 'replay needs `inner`, or `provider` and `model`',
        });
      }
    }
  });
export type LlmConfig = z.output<typeof LlmConfig>;
export type LlmConfigInput = z.input<typeof LlmConfig>;

/** True when at least one provider is configured. */
export function llmEnabled(cfg: LlmConfig): boolean {
  return Object.keys(cfg.providers).length > 0;
}
