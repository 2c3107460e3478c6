import { describe, expect, it } from 'vitest';
import { loadCorpus } from './acceptance/corpus.js';
import { type CaseResult, GATE_COVERAGE, runCase, summarise } from './acceptance/harness.js';

// The acceptance corpus (issue 17) end to end: each requirement becomes a generated service, started
// and checked over HTTP as a person would. `npm run bench -- acceptance` prints the same figures.
// Floors are what was measured: tuned cases all pass; the held-out part must not fall below it.
const HELD_OUT_FLOOR = 0.69;

describe('acceptance corpus: behaviour a person checks over HTTP', () => {
  it('generates, starts and checks every case; tuned all pass, held-out keeps its measured rate', async () => {
    const results: CaseResult[] = [];
    for (const c of loadCorpus()) results.push(await runCase(c));
    const summary = summarise(results);
    const failing = results.flatMap((r) =>
      r.checks
        .filter((k) => !k.passed)
        .map((k) => `${r.id}${r.heldOut ? ' (held out)' : ''}: ${k.name}: ${k.reason}`),
    );
    console.log(JSON.stringify(summary), `\n${failing.join('\n')}`);
    expect(summary.tuned.overall, failing.join('\n')).toBe(1);
    expect(summary.tuned.belowGateCoverage).toEqual([]);
    expect(summary.heldOut.overall ?? 0).toBeGreaterThanOrEqual(HELD_OUT_FLOOR);
    for (const r of results.filter((x) => !x.heldOut))
      expect(r.coverage).toBeGreaterThanOrEqual(GATE_COVERAGE);
  }, 300_000);
});
