import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Entity, RequirementsSpec } from '../src/contracts/requirements.js';
import { analyzeRequirements } from '../src/engines/requirements/analyze.js';

/**
 * A second paraphrase corpus (test/fixtures/paraphrase-second/), written by another engineer before
 * seeing this analyser, each text with the rules and entity fields a person would expect. Measured
 * first untouched (3/20); the analyser was then tuned on its `heldOut: false` cases only, so the five
 * held-out ones still measure how far it generalises.
 */

/** A name or label as written, or a list of acceptable ones. */
const Alt = z.union([z.string(), z.array(z.string()).min(1)]);
const Case = z.object({
  id: z.string(),
  language: z.enum(['en', 'zh']),
  heldOut: z.boolean(),
  text: z.string(),
  rules: z.array(
    z.object({
      type: Alt,
      value: z.number(),
      entity: Alt.optional(),
      per: Alt.optional(),
      field: Alt.optional(),
    }),
  ),
  entities: z.array(z.object({ entity: Alt, fields: z.array(Alt) })),
});
type Case = z.infer<typeof Case>;

const DIR = join(import.meta.dirname, 'fixtures', 'paraphrase-second');
const CASES: Case[] = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => Case.parse(JSON.parse(readFileSync(join(DIR, f), 'utf8'))));

const alts = (a: z.infer<typeof Alt>): string[] => (typeof a === 'string' ? [a] : a);
const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** The entity a name or label as written refers to (names are ASCII; Chinese is in the label). */
function entityOf(spec: RequirementsSpec, a: z.infer<typeof Alt>): Entity | undefined {
  const want = alts(a);
  return spec.entities.find((e) => want.some((w) => same(e.name, w) || same(e.label, w)));
}

/** What of a case's expectations the spec misses, as readable lines (empty: the case passes). */
function missing(c: Case, spec: RequirementsSpec): string[] {
  const out: string[] = [];
  for (const want of c.entities) {
    const e = entityOf(spec, want.entity);
    if (e === undefined) {
      out.push(`entity ${alts(want.entity).join('|')}`);
      continue;
    }
    for (const f of want.fields) {
      const ok = alts(f).some((w) => e.fields.some((x) => same(x.name, w) || same(x.label, w)));
      if (!ok) out.push(`field ${e.name}.${alts(f).join('|')}`);
    }
  }
  const rules = spec.requirements.flatMap((r) =>
    r.rule === undefined || !('value' in r.rule) ? [] : [r.rule],
  );
  for (const want of c.rules) {
    const refOk = (got: string | null, a: z.infer<typeof Alt> | undefined) => {
      if (a === undefined) return true;
      const e = entityOf(spec, a);
      return got !== null && (e !== undefined ? same(got, e.name) : alts(a).some((w) => same(got, w)));
    };
    const fieldOk = (got: string | null) =>
      want.field === undefined ||
      (got !== null &&
        alts(want.field).some(
          (w) =>
            same(got, w) ||
            spec.entities.some((e) =>
              e.fields.some(
                (x) => (same(x.name, got) || same(x.label, got)) && (same(x.name, w) || same(x.label, w)),
              ),
            ),
        ));
    const hit = rules.some(
      (r) =>
        alts(want.type).includes(r.type) &&
        r.value === want.value &&
        refOk(r.entity, want.entity) &&
        refOk(r.per, want.per) &&
        fieldOk(r.field),
    );
    if (!hit) out.push(`rule ${alts(want.type).join('|')} ${want.value}`);
  }
  return out;
}

interface Outcome {
  c: Case;
  misses: string[];
  coverage: number;
}

const OUTCOMES: Outcome[] = CASES.map((c) => {
  const spec = analyzeRequirements({ text: c.text });
  return { c, misses: missing(c, spec), coverage: Number(spec.metrics.sentenceCoverage ?? 0) };
});

function rate(part: Outcome[]): string {
  const passed = part.filter((o) => o.misses.length === 0).length;
  const cov = part.reduce((s, o) => s + o.coverage, 0) / Math.max(1, part.length);
  return `${passed}/${part.length} pass, mean coverage ${cov.toFixed(2)}`;
}

describe('second paraphrase corpus (not tuned on)', () => {
  it('has twenty cases, half Chinese', () => {
    expect(CASES).toHaveLength(20);
    expect(CASES.filter((c) => c.language === 'zh')).toHaveLength(10);
  });

  it('passes at least as many cases as when it was measured, tuned and held out apart', () => {
    const passes = (o: Outcome) => o.misses.length === 0 && o.coverage >= 0.8;
    const tuned = OUTCOMES.filter((o) => !o.c.heldOut);
    const held = OUTCOMES.filter((o) => o.c.heldOut);
    console.log(`second paraphrase corpus: tuned ${rate(tuned)}; held out ${rate(held)}`);
    for (const o of OUTCOMES)
      if (!passes(o))
        console.log(
          `  ${o.c.id}${o.c.heldOut ? ' (held out)' : ''}: cov ${o.coverage.toFixed(2)} ${o.misses.join('; ')}`,
        );
    expect(tuned.filter(passes).length).toBeGreaterThanOrEqual(TUNED_FLOOR);
    expect(held.filter(passes).length).toBeGreaterThanOrEqual(HELD_OUT_FLOOR);
  });
});

/** Measured when the corpus was added (see the issue note); raise them, never lower them. */
const TUNED_FLOOR = 5;
const HELD_OUT_FLOOR = 2;
