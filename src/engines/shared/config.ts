/** The engines' sections of the config file ($POWERAUTO_CONFIG or $POWERAUTO_HOME/config.json), read and checked. */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { z } from 'zod';
import { PowerAutoError } from '../../contracts/errors.js';
import { engineHome } from './paths.js';

/** The `deployment` and `monitoring` sections of the config file, as raw values for each engine to parse. */
export async function readConfigSection(
  section: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<unknown> {
  const path = env.POWERAUTO_CONFIG ? resolve(env.POWERAUTO_CONFIG) : resolve(engineHome(env), 'config.json');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return {};
  }
  try {
    const raw = JSON.parse(text) as Record<string, unknown>;
    return raw[section] ?? {};
  } catch (err) {
    throw new PowerAutoError(
      'CONFIG_INVALID',
      `config file ${path} is not valid JSON: ${(err as Error).message}`,
    );
  }
}

export function parseSettings<S extends z.ZodType>(schema: S, raw: unknown, section: string): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PowerAutoError(
      'CONFIG_INVALID',
      `config ${section}.${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`,
    );
  }
  return parsed.data;
}
