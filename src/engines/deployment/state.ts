import { z } from 'zod';
import { readJson, writeJsonAtomic } from '../shared/files.js';
import { idempotencyFile } from './paths.js';

const Completed = z.object({
  tool: z.string(),
  key: z.string(),
  at: z.string(),
  output: z.record(z.string(), z.unknown()),
});

/** The output a tool gave for this idempotency key before, if it completed. */
export async function completedOutput(
  home: string,
  tool: string,
  key: string | undefined,
): Promise<Record<string, unknown> | undefined> {
  if (key === undefined) return undefined;
  const done = await readJson(idempotencyFile(home, `${tool}\n${key}`), Completed);
  return done?.output;
}

export async function rememberOutput(
  home: string,
  tool: string,
  key: string | undefined,
  output: Record<string, unknown>,
): Promise<void> {
  if (key === undefined) return;
  await writeJsonAtomic(idempotencyFile(home, `${tool}\n${key}`), {
    tool,
    key,
    at: new Date().toISOString(),
    output,
  });
}

/** Runs `task` once per (tool, key): a repeat with the same key answers the first result. */
export async function oncePerKey<T extends Record<string, unknown>>(
  home: string,
  tool: string,
  key: string | undefined,
  schema: z.ZodType<T>,
  task: () => Promise<T>,
): Promise<T> {
  const previous = await completedOutput(home, tool, key);
  if (previous !== undefined) {
    const parsed = schema.safeParse(previous);
    if (parsed.success) return parsed.data;
  }
  const output = await task();
  await rememberOutput(home, tool, key, output);
  return output;
}
