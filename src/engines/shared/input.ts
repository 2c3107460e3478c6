/** A tool's input checked against its contract schema (in-process callers skip the MCP server's validation). */
import type { z } from 'zod';
import { BadInputError } from '../../contracts/errors.js';

export function parseInput<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new BadInputError(`input ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
}
