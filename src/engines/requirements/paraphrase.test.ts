import { describe, expect, it } from 'vitest';
import { PARAPHRASES, type ParaphraseCase } from '../../../test/fixtures/paraphrase/corpus.js';
import type { RequirementsSpec } from '../../contracts/requirements.js';
import { analyzeRequirements } from './analyze.js';

/** What of a case the analyser got wrong; empty when it passes. */
function misses(c: ParaphraseCase, spec: RequirementsSpec): string[] {
  const out: string[] = [];
  const rules = spec.requirements.flatMap((r) =>
    r.rule === undefined || !('value' in r.rule) ? [] : [r.rule],
  );
  for (const want of c.rules) {
    const found = rules.some(
      (r) =>
        r.type === want.type &&
        r.value === want.value &&
        r.entity === want.entity &&
        (want.per === undefined || r.per === want.per),
    );
    if (!found) out.push(`rule ${JSON.stringify(want)} not in ${JSON.stringify(rules)}`);
  }
  for (const [entity, fields] of Object.entries(c.fields)) {
    const have = spec.entities.find((e) => e.name === entity)?.fields.map((f) => f.name) ?? [];
    const missing = fields.filter((f) => !have.includes(f));
    if (missing.length > 0)
      out.push(`${entity} lacks ${missing.join(', ')} (has ${have.join(', ') || 'nothing'})`);
  }
  const coverage = spec.metrics.sentenceCoverage ?? 0;
  const floor = c.minCoverage ?? 0.8;
  if (coverage < floor)
    out.push(`sentence coverage ${coverage} < ${floor}: ${spec.openQuestions.join(' | ')}`);
  return out;
}

const results = PARAPHRASES.map((c) => ({ c, misses: misses(c, analyzeRequirements({ text: c.text })) }));
const rate = (heldOut: boolean) => {
  const part = results.filter((r) => r.c.heldOut === heldOut);
  return part.filter((r) => r.misses.length === 0).length / part.length;
};

describe('paraphrases customers write (issue 17)', () => {
  it.each(results.filter((r) => !r.c.heldOut).map((r) => [r.c.id, r] as const))('tuned: %s', (_id, r) => {
    expect(r.misses).toEqual([]);
  });

  it('held-out texts: the pass rate does not fall below what was measured', () => {
    const failing = results
      .filter((r) => r.c.heldOut && r.misses.length > 0)
      .map((r) => `${r.c.id}: ${r.misses.join('; ')}`);
    console.log(`held-out pass rate ${rate(true)}; failing:\n${failing.join('\n')}`);
    expect(rate(true)).toBeGreaterThanOrEqual(HELD_OUT_FLOOR);
  });
});

/** Measured on the held-out texts when they were written (see the issue note); raise it, never lower it. */
const HELD_OUT_FLOOR = 0.5;
