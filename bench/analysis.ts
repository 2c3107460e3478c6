/**
 * Offline requirements analysis + architecture design over the SRDD descriptions.
 * Baseline, measured in the same run: the bare tokenizer pass (compromise for English, jieba for
 * Chinese) over the same text. Prints one JSON line. OpenAPI validation (@readme/openapi-parser)
 * is timed separately: the library compiles its JSON schema on every call.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import nlp from 'compromise';
import { parse } from 'csv-parse/sync';
import { designArchitecture } from '../src/engines/architecture/design.js';
import { validateOpenApi } from '../src/engines/architecture/validate.js';
import { analyzeRequirements } from '../src/engines/requirements/analyze.js';

const here = dirname(fileURLToPath(import.meta.url));

function pct(sorted: number[], q: number): number {
  return Math.round((sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0) * 1000) / 1000;
}

export default async function (): Promise<void> {
  const rows = parse(readFileSync(resolve(here, '../../shared/datasets/srdd/srdd.csv')), {
    columns: true,
  }) as Array<{
    Description: string;
  }>;
  const texts = rows.map((r) => r.Description);
  // Warm-up: lexicons, compromise model, JIT.
  for (const t of texts.slice(0, 20)) designArchitecture(analyzeRequirements({ text: t }), {}, []);

  const baseline: number[] = [];
  const t0 = performance.now();
  for (const t of texts) {
    const s = performance.now();
    const doc = nlp(t);
    doc.compute('root');
    doc.json();
    baseline.push(performance.now() - s);
  }
  const baselineTotal = performance.now() - t0;

  const engine: number[] = [];
  const t1 = performance.now();
  for (const t of texts) {
    const s = performance.now();
    designArchitecture(analyzeRequirements({ text: t }), {}, []);
    engine.push(performance.now() - s);
  }
  const engineTotal = performance.now() - t1;

  const validation: number[] = [];
  for (const t of texts.slice(0, 100)) {
    const design = designArchitecture(analyzeRequirements({ text: t }), {}, []);
    const s = performance.now();
    await validateOpenApi(design.api);
    validation.push(performance.now() - s);
  }

  engine.sort((a, b) => a - b);
  baseline.sort((a, b) => a - b);
  validation.sort((a, b) => a - b);
  console.log(
    JSON.stringify({
      bench: 'analysis',
      descriptions: texts.length,
      analysisDesignMs: { p50: pct(engine, 0.5), p99: pct(engine, 0.99) },
      descriptionsPerSecond: Math.round((texts.length / engineTotal) * 1000),
      baselineTokenizerMs: { p50: pct(baseline, 0.5), p99: pct(baseline, 0.99) },
      ratioP50: Math.round((pct(engine, 0.5) / pct(baseline, 0.5)) * 100) / 100,
      ratioTotal: Math.round((engineTotal / baselineTotal) * 100) / 100,
      openapiValidationMs: {
        p50: pct(validation, 0.5),
        p99: pct(validation, 0.99),
        samples: validation.length,
      },
      targetP99Ms: 50,
      meetsTarget: pct(engine, 0.99) < 50,
    }),
  );
}
