import type { z } from 'zod';
import { LlmError } from '../errors.js';
import type { HttpTarget } from '../http.js';
import { redactSecrets } from '../redact.js';
import type { CompletionRequest, JsonSchema, ResponseFormat } from '../types.js';

/** Validates an upstream JSON body against the shape we rely on; a mismatch is a redacted `LlmError`. */
export function parseWire<T>(target: HttpTarget, schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const body = redactSecrets(JSON.stringify(value)?.slice(0, 400) ?? String(value), target.secrets);
  throw new LlmError(
    `${target.label}: unexpected ${what}: ${r.error.issues[0]?.message ?? 'invalid'}: ${body}`,
  );
}

export function jsonFormat(
  req: CompletionRequest,
): Extract<ResponseFormat, { type: 'json_schema' }> | undefined {
  return req.responseFormat?.type === 'json_schema' ? req.responseFormat : undefined;
}

/** For servers that only have a JSON mode: the schema has to travel in the prompt. */
export function schemaInstruction(schema: JsonSchema): string {
  return `Respond with a single JSON value, and nothing else, that matches this JSON schema:\n${JSON.stringify(schema)}`;
}

export function joinSystem(...parts: (string | undefined)[]): string | undefined {
  const kept = parts.filter((p): p is string => p !== undefined && p !== '');
  return kept.length > 0 ? kept.join('\n\n') : undefined;
}
