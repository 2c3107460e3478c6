import { z } from 'zod';
import type { CallResult, ClientCallOptions, LlmClient } from './client.js';
import { LlmOutputInvalidError } from './errors.js';
import { jsonSchemaOf } from './schema.js';
import type { CompletionRequest, Message, Usage } from './types.js';

export interface StructuredRequest extends Omit<CompletionRequest, 'responseFormat'> {
  /** Name of the schema as the provider sees it (`[A-Za-z0-9_-]`). Default `answer`. */
  schemaName?: string;
  /** Overrides the client's repair attempts for this call. */
  repairAttempts?: number;
}

export interface StructuredResult<T> {
  value: T;
  /** Summed over every attempt, repairs included. */
  usage: Usage;
  /** Summed over every attempt; null if any attempt was unpriced. */
  costUsd: number | null;
  /** 1 when the first answer was valid. */
  attempts: number;
  /** The last (accepted) call. */
  last: CallResult;
}

const MAX_ISSUES_TEXT = 2_000;

/** Why `raw` is not a valid answer, or the parsed value. */
function check<S extends z.ZodType>(
  schema: S,
  raw: string,
): { ok: true; value: z.output<S> } | { ok: false; issues: string } {
  let data: unknown;
  try {
    data = JSON.parse(stripFence(raw));
  } catch (err) {
    return { ok: false, issues: `not valid JSON (${err instanceof Error ? err.message : String(err)})` };
  }
  const r = schema.safeParse(data);
  if (r.success) return { ok: true, value: r.data };
  return { ok: false, issues: z.prettifyError(r.error).slice(0, MAX_ISSUES_TEXT) };
}

/** Models in JSON mode sometimes still wrap the answer in a Markdown fence; that is not a schema error. */
function stripFence(raw: string): string {
  const m = /^\s*```(?:json)?\s*\n([\s\S]*?)\n?```\s*$/.exec(raw);
  return m ? m[1]! : raw;
}

/**
 * Asks for JSON matching `schema` using the provider's strongest mechanism, then validates with zod.
 * Invalid output is fed back to the model with the validation errors, up to `repairAttempts` times;
 * after that, `LlmOutputInvalidError`. Invalid output is never returned.
 */
export async function generateStructured<S extends z.ZodType>(
  client: LlmClient,
  schema: S,
  req: StructuredRequest,
  opts: ClientCallOptions = {},
): Promise<StructuredResult<z.output<S>>> {
  const { schemaName = 'answer', repairAttempts = client.repairAttempts, ...base } = req;
  const jsonSchema = jsonSchemaOf(schema);
  const messages: Message[] = [...base.messages];
  const failures: { output: string; issues: string }[] = [];
  const usage: Usage = { inputTokens: 0, outputTokens: 0 };
  let costUsd: number | null = 0;

  for (let attempt = 1; attempt <= repairAttempts + 1; attempt++) {
    const result = await client.complete(
      {
        ...base,
        messages: [...messages],
        responseFormat: { type: 'json_schema', name: schemaName, schema: jsonSchema },
      },
      opts,
    );
    usage.inputTokens += result.usage.inputTokens;
    usage.outputTokens += result.usage.outputTokens;
    costUsd = costUsd === null || result.costUsd === null ? null : costUsd + result.costUsd;

    const raw = result.json ?? result.text;
    const verdict = check(schema, raw);
    if (verdict.ok) return { value: verdict.value, usage, costUsd, attempts: attempt, last: result };

    const issues =
      result.stopReason === 'length'
        ? `${verdict.issues} (output was cut off at max tokens)`
        : verdict.issues;
    failures.push({ output: raw, issues });
    const feedback = `Your answer did not match the required JSON schema:\n${issues}\nReply again with only the corrected JSON.`;
    messages.push({
      role: 'assistant',
      content: result.text,
      ...(result.toolCalls.length ? { toolCalls: result.toolCalls } : {}),
    });
    if (result.toolCalls.length > 0) {
      // The answer came as a (forced) tool call: the feedback must be that call's result.
      for (const call of result.toolCalls) {
        messages.push({
          role: 'tool',
          toolCallId: call.id,
          name: call.name,
          content: feedback,
          isError: true,
        });
      }
    } else messages.push({ role: 'user', content: feedback });
  }
  throw new LlmOutputInvalidError(failures);
}
