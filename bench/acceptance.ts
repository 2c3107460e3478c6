import { loadCorpus } from '../test/acceptance/corpus.js';
import { runCase, summarise } from '../test/acceptance/harness.js';

/**
 * `npm run bench -- acceptance`: the acceptance corpus generated offline, started and checked over
 * HTTP; prints pass rates per rule kind for the tuned and held-out parts, and each failing check.
 * The baseline in the same run is the tuned part: the held-out/tuned ratio is how well the offline
 * engines generalise to text they were not tuned on.
 */
export default async function acceptance(): Promise<void> {
  const started = performance.now();
  const results = [];
  for (const c of loadCorpus()) results.push(await runCase(c));
  const summary = summarise(results);
  for (const r of results)
    for (const k of r.checks.filter((x) => !x.passed))
      console.log(`FAIL ${r.id}${r.heldOut ? ' (held out)' : ''} [${k.kind}] ${k.name}: ${k.reason}`);
  console.log(
    JSON.stringify({
      bench: 'acceptance',
      ...summary,
      ratioHeldOutToTuned:
        summary.tuned.overall && summary.heldOut.overall !== null
          ? Number((summary.heldOut.overall / summary.tuned.overall).toFixed(3))
          : null,
      seconds: Math.round((performance.now() - started) / 1000),
    }),
  );
}
