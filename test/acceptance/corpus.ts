import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/**
 * The acceptance corpus (issue 17): requirements written the way a customer writes them, each with
 * the behaviour a person would check over HTTP, as data. Texts and checks were written before the
 * analyser saw them; `heldOut` cases are never used to tune the engines, so their pass rate is the
 * measure of how the offline engines generalise.
 *
 * In a step, `{name.field}` is replaced by a value saved from an earlier step's answer.
 */
const Step = z.object({
  request: z.object({
    method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']),
    path: z.string().startsWith('/'),
    body: z.record(z.string(), z.unknown()).optional(),
  }),
  status: z.number().int(),
  /** Facts the JSON answer must hold: each key's value, compared as JSON. */
  body: z.record(z.string(), z.unknown()).optional(),
  /** Saves the answer's body under this name for later steps. */
  save: z
    .string()
    .regex(/^[a-z][A-Za-z0-9]*$/)
    .optional(),
  /** Sends the request this many times at once; `status` then counts the answers that got it. */
  parallel: z.number().int().min(2).max(100).optional(),
  /** With `parallel`: how many answers must have `status`. */
  expectCount: z.number().int().min(0).optional(),
});
export type Step = z.infer<typeof Step>;

export const RuleKind = z.enum(['crud', 'effect', 'guard', 'hold', 'limit', 'value']);
export type RuleKind = z.infer<typeof RuleKind>;

const Check = z.object({
  name: z.string().min(1),
  kind: RuleKind,
  steps: z.array(Step).min(1),
});
export type Check = z.infer<typeof Check>;

export const AcceptanceCase = z.object({
  id: z.string().regex(/^[a-z0-9-]+$/),
  language: z.enum(['en', 'zh']),
  domain: z.string().min(1),
  heldOut: z.boolean(),
  text: z.string().min(1),
  checks: z.array(Check).min(1),
});
export type AcceptanceCase = z.infer<typeof AcceptanceCase>;

const here = dirname(fileURLToPath(import.meta.url));
export const CORPUS_DIR = join(here, '..', 'fixtures', 'acceptance');

export function loadCorpus(dir = CORPUS_DIR): AcceptanceCase[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => AcceptanceCase.parse(JSON.parse(readFileSync(join(dir, f), 'utf8'))));
}
