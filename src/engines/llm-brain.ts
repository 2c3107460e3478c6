import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import type { EngineLlmConfig } from '../config/engine-llm.js';
import { ENGINE_CONTRACTS, type ToolContract } from '../contracts/engines.js';
import { errorMessage, PowerAutoError } from '../contracts/errors.js';
import type { LlmUsageMetrics } from '../contracts/mcp-meta.js';
import type { Role } from '../contracts/models.js';
import type { ProducedBy } from '../contracts/produced-by.js';
import type { LlmClient, StructuredRequest, UsageKeys, UsageTotals } from '../llm/index.js';
import { redactSecrets } from '../llm/index.js';
import { type Brain, type EngineToolContext, FailedWithUsageError } from './brain.js';
import { loadPrompt } from './prompts.js';

/** What an LLM tool handler gets besides its input: the model, charged to this tool call. */
export interface LlmTools {
  readonly provider: string;
  readonly model: string;
  /** Validated structured output for `schema`; never invalid (repairs, then an error). */
  structured<S extends z.ZodType>(schema: S, req: StructuredRequest): Promise<z.output<S>>;
  /** This role's versioned prompt for `tool`. */
  prompt(tool: string): Promise<string>;
}

// biome-ignore lint/suspicious/noExplicitAny: inputs are validated against the tool's zod schema before a handler runs.
type Input = any;
type Output = Record<string, unknown>;

/**
 * How a tool uses the model. `replace`: the model does the work; when it fails the offline handler runs
 * instead. `augment`: the offline handler runs once (side effects, measurements), then the model adds to
 * its output; when the model fails the offline output stands, so nothing is done twice.
 */
export type LlmTool =
  | { replace: (input: Input, ctx: EngineToolContext, llm: LlmTools) => Promise<Output> }
  | {
      augment: (output: Output, input: Input, ctx: EngineToolContext, llm: LlmTools) => Promise<Output>;
    };

/** One engine's LLM: its client, the fallback policy and the secrets to keep out of messages. */
export interface EngineLlm {
  role: Role;
  client: LlmClient;
  fallback: EngineLlmConfig['fallback'];
  secrets: readonly string[];
}

/** `runId:stepKey:attempt` (see contracts/executor.ts) as meter keys; a fresh call id per tool call. */
function accountOf(idempotencyKey: string | undefined): UsageKeys & { call: string } {
  const call = `${idempotencyKey ?? 'call'}#${randomUUID()}`;
  const parts = idempotencyKey?.split(':') ?? [];
  if (parts.length < 3) return { call };
  return { run: parts[0]!, step: parts.slice(1, -1).join(':'), call };
}

/** The usage metrics every LLM-backed output (or failure) carries, so the orchestrator can count and budget them. */
export function usageMetrics(t: UsageTotals): LlmUsageMetrics {
  return {
    llmCalls: t.calls,
    llmInputTokens: t.inputTokens,
    llmOutputTokens: t.outputTokens,
    llmCostUsd: t.costUsd,
    ...(t.unpricedCalls > 0 ? { llmUnpricedCalls: t.unpricedCalls } : {}),
  };
}

function stamp(
  output: Record<string, unknown>,
  producedBy: ProducedBy,
  usage: LlmUsageMetrics | undefined,
): Record<string, unknown> {
  const metrics = (output.metrics ?? {}) as Record<string, number>;
  return { ...output, metrics: usage === undefined ? metrics : { ...metrics, ...usage }, producedBy };
}

/** A failure after the model was called carries the usage; one before it (or without a meter) is left as is. */
function withUsage(err: unknown, usage: LlmUsageMetrics | undefined): unknown {
  if (usage === undefined || usage.llmCalls === 0 || err instanceof FailedWithUsageError) return err;
  const code = err instanceof PowerAutoError ? err.code : 'INTERNAL';
  return new FailedWithUsageError(code, errorMessage(err), usage, err);
}

/**
 * A role's LLM brain: tools with an LLM handler use the model (and fall back to the offline brain when it
 * fails, unless `fallback: 'fail'`); the rest (measurements, side effects) are the offline handlers.
 * Every output says which brain produced it; LLM outputs carry their measured token use and cost.
 */
export function createLlmBrain(offline: Brain, handlers: Record<string, LlmTool>, engine: EngineLlm): Brain {
  const { role, client, fallback, secrets } = engine;
  const provider = client.provider.name;
  const model = client.model;
  const redact = (text: string) => redactSecrets(text, secrets);
  const tools: Record<string, ToolContract> = ENGINE_CONTRACTS[role];
  const brain: Brain = {};
  for (const [tool, contract] of Object.entries(tools)) {
    const offlineHandler = offline[tool];
    const llmTool = handlers[tool];
    const hasStamp = 'producedBy' in contract.output.shape;
    if (llmTool === undefined) {
      if (offlineHandler === undefined) continue;
      brain[tool] = hasStamp
        ? async (input, ctx) => stamp(await offlineHandler(input, ctx), { brain: 'offline' }, undefined)
        : offlineHandler;
      continue;
    }
    const answer = async (
      input: Input,
      ctx: EngineToolContext,
      llm: LlmTools,
      used: () => LlmUsageMetrics | undefined,
    ): Promise<Output> => {
      let offlineOutput: Output | undefined;
      try {
        let out: Output;
        if ('replace' in llmTool) out = await llmTool.replace(input, ctx, llm);
        else {
          if (offlineHandler === undefined)
            throw new PowerAutoError('INTERNAL', `${tool}: no offline handler to augment`);
          offlineOutput = await offlineHandler(input, ctx);
          out = await llmTool.augment(offlineOutput, input, ctx, llm);
        }
        return stamp(out, { brain: 'llm', provider, model }, used());
      } catch (err) {
        if (ctx.signal.aborted) throw err;
        const reason = redact(`${err instanceof PowerAutoError ? `${err.code}: ` : ''}${errorMessage(err)}`);
        if (fallback === 'fail' || offlineHandler === undefined) {
          throw new PowerAutoError(
            'LLM_FAILED',
            `${role} LLM brain (${provider}/${model}) failed: ${reason}`,
          );
        }
        // Never silent: the progress stream and the artifact both say the offline brain answered.
        await ctx.progress(0, undefined, `LLM ${provider}/${model} failed, offline brain answers: ${reason}`);
        const out = offlineOutput ?? (await offlineHandler(input, ctx));
        return stamp(out, { brain: 'offline', provider, model, fallbackReason: reason }, used());
      }
    };
    brain[tool] = async (input, ctx) => {
      const account = accountOf(ctx.idempotencyKey);
      const llm: LlmTools = {
        provider,
        model,
        structured: async (schema, req) =>
          (await client.structured(schema, req, { signal: ctx.signal, account })).value,
        prompt: (name) => loadPrompt(role, name),
      };
      // Every attempt (repairs, refusals included) is in the meter under this call's key.
      const used = () => (client.meter ? usageMetrics(client.meter.forCall(account.call)) : undefined);
      try {
        return await answer(input, ctx, llm, used);
      } catch (err) {
        throw withUsage(err, used());
      }
    };
  }
  return brain;
}
