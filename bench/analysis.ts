/**
 * `npm run bench -- analysis`: the offline requirements and architecture tools over every SRDD
 * description, end to end as the pipeline calls them (analysis, design and OpenAPI validation).
 * Baseline, measured in the same run: the bare tokenizer pass (compromise) over the same text.
 * The validator's one-time schema compilation is timed apart; it happens once per process.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import nlp from 'compromise';
import { parse } from 'csv-parse/sync';
import { offlineBrain as architecture } from '../src/engines/architecture/offline.js';
import { validateOpenApi } from '../src/engines/architecture/validate.js';
import type { EngineToolContext } from '../src/engines/brain.js';
import { offlineBrain as requirements } from '../src/engines/requirements/offline.js';

const here = dirname(fileURLToPath(import.meta.url));
const ctx: EngineToolContext = {
  idempotencyKey: undefined,
  signal: new AbortController().signal,
  progress: async () => {},
};

function pct(sorted: number[], q: number): number {
  return Math.round((sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0) * 1000) / 1000;
}

async function analyseAndDesign(text: string): Promise<void> {
  const spec = await requirements.requirements_analyze!({ text }, ctx);
  const design = await architecture.architecture_design!({ requirements: spec }, ctx);
  if ((design.metrics as Record<string, number>).openapiValid !== 1)
    throw new Error('invalid OpenAPI document');
}

export default async function analysis(): Promise<void> {
  const rows = parse(readFileSync(resolve(here, '../../shared/datasets/srdd/srdd.csv')), {
    columns: true,
  }) as {
    Description: string;
  }[];
  const texts = rows.map((r) => r.Description);

  const compileStart = performance.now();
  await validateOpenApi({ openapi: '3.1.0', info: { title: 'warm-up', version: '1' }, paths: {} });
  const validatorCompileMs = performance.now() - compileStart;
  // Warm-up: lexicons, the compromise model, JIT.
  for (const t of texts.slice(0, 20)) await analyseAndDesign(t);

  const baseline: number[] = [];
  const t0 = performance.now();
  for (const t of texts) {
    const s = performance.now();
    nlp(t).compute('root').json();
    baseline.push(performance.now() - s);
  }
  const baselineTotal = performance.now() - t0;

  const engine: number[] = [];
  const t1 = performance.now();
  for (const t of texts) {
    const s = performance.now();
    await analyseAndDesign(t);
    engine.push(performance.now() - s);
  }
  const engineTotal = performance.now() - t1;

  engine.sort((a, b) => a - b);
  baseline.sort((a, b) => a - b);
  console.log(
    JSON.stringify({
      bench: 'analysis',
      descriptions: texts.length,
      analysisDesignMs: { p50: pct(engine, 0.5), p99: pct(engine, 0.99) },
      descriptionsPerSecond: Math.round((texts.length / engineTotal) * 1000),
      baselineTokenizerMs: { p50: pct(baseline, 0.5), p99: pct(baseline, 0.99) },
      ratioP50: Math.round((pct(engine, 0.5) / pct(baseline, 0.5)) * 100) / 100,
      ratioTotal: Math.round((engineTotal / baselineTotal) * 100) / 100,
      validatorCompileMs: Math.round(validatorCompileMs),
      targetP99Ms: 50,
      meetsTarget: pct(engine, 0.99) < 50,
    }),
  );
}
