import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { validate } from '@readme/openapi-parser';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { ArchitectureSpec } from '../src/contracts/architecture.js';
import { RequirementsSpec } from '../src/contracts/requirements.js';
import { designArchitecture } from '../src/engines/architecture/design.js';
import { offlineBrain as architecture } from '../src/engines/architecture/offline.js';
import type { EngineToolContext } from '../src/engines/brain.js';
import { offlineBrain as requirements } from '../src/engines/requirements/offline.js';

/**
 * Robustness over the public SRDD set (1,200 descriptions). Every description goes through
 * requirements_analyze; every design is checked with @readme/openapi-parser. The library compiles
 * its schema on each call (~50 ms), so designs are validated in merged batches (names prefixed per
 * description, so a problem in one stays a problem), and a fixed sample also runs the full
 * architecture_design tool, which validates on its own.
 */

const CSV = resolve(import.meta.dirname, '../../shared/datasets/srdd/srdd.csv');
const ctx: EngineToolContext = {
  idempotencyKey: undefined,
  signal: new AbortController().signal,
  progress: async () => {},
};

function merge(docs: Array<Record<string, unknown>>): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {};
  for (const [i, doc] of docs.entries()) {
    const p = `d${i}`;
    const text = JSON.stringify(doc)
      .replaceAll('#/components/schemas/', `#/components/schemas/${p}_`)
      .replaceAll('"operationId":"', `"operationId":"${p}_`);
    const d = JSON.parse(text) as {
      paths: Record<string, unknown>;
      components: { schemas: Record<string, unknown> };
    };
    for (const [k, v] of Object.entries(d.paths)) paths[`/${p}${k}`] = v;
    for (const [k, v] of Object.entries(d.components.schemas)) schemas[`${p}_${k}`] = v;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'merged', version: '1.0.0' },
    paths,
    components: {
      schemas,
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    },
  };
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

describe('SRDD robustness', () => {
  it('batch validation still catches a broken document', async () => {
    const good = {
      openapi: '3.1.0',
      info: { title: 'g', version: '1' },
      paths: {},
      components: { schemas: { A: { type: 'object' } } },
    };
    const bad = {
      ...good,
      paths: { '/a/{id}': { get: { operationId: 'getA', responses: { '200': { description: 'ok' } } } } },
    };
    const merged = merge([good, bad]) as Parameters<typeof validate>[0];
    expect((await validate(merged)).valid).toBe(false);
    expect((await validate(merge([good, good]) as Parameters<typeof validate>[0])).valid).toBe(true);
  });

  it('analyses and designs every description: no crash, valid specs, valid OpenAPI', async () => {
    const rows = parse(readFileSync(CSV), { columns: true }) as Array<{
      Name: string;
      Description: string;
      Category: string;
    }>;
    expect(rows.length).toBeGreaterThan(1000);
    const coverage: number[] = [];
    const byCategory: Record<string, number> = {};
    const docs: Array<Record<string, unknown>> = [];
    const failures: string[] = [];
    for (const [i, row] of rows.entries()) {
      try {
        const spec = RequirementsSpec.parse(
          await requirements.requirements_analyze!({ text: row.Description }, ctx),
        );
        coverage.push(spec.metrics.sentenceCoverage ?? 0);
        for (const q of spec.openQuestions) {
          const c = /^\[(\w+)\]/.exec(q)?.[1] ?? 'uncategorised';
          byCategory[c] = (byCategory[c] ?? 0) + 1;
        }
        const design = ArchitectureSpec.parse(designArchitecture(spec, {}, []));
        docs.push(design.api);
        if (i % 40 === 0) {
          const full = ArchitectureSpec.parse(
            await architecture.architecture_design!({ requirements: spec }, ctx),
          );
          if (full.metrics.openapiValid !== 1) failures.push(`${row.Name}: ${full.openQuestions.join('; ')}`);
        }
      } catch (err) {
        failures.push(`${row.Name}: ${String(err)}`);
      }
    }
    for (let i = 0; i < docs.length; i += 200) {
      const batch = docs.slice(i, i + 200);
      const result = await validate(merge(batch) as Parameters<typeof validate>[0]);
      if (!result.valid) {
        for (const [k, doc] of batch.entries()) {
          const one = await validate(structuredClone(doc) as Parameters<typeof validate>[0]);
          if (!one.valid)
            failures.push(`${rows[i + k]?.Name}: ${one.errors.map((e) => e.message).join('; ')}`);
        }
      }
    }
    expect(failures).toEqual([]);

    coverage.sort((a, b) => a - b);
    const histogram: Record<string, number> = {};
    for (const c of coverage) {
      const bucket =
        c === 1 ? '1.0' : `${(Math.floor(c * 5) / 5).toFixed(1)}-${(Math.floor(c * 5) / 5 + 0.2).toFixed(1)}`;
      histogram[bucket] = (histogram[bucket] ?? 0) + 1;
    }
    console.log(
      JSON.stringify({
        descriptions: rows.length,
        coverage: {
          min: coverage[0],
          q1: quantile(coverage, 0.25),
          median: quantile(coverage, 0.5),
          q3: quantile(coverage, 0.75),
          max: coverage.at(-1),
        },
        histogram,
        openQuestionsByCategory: byCategory,
      }),
    );
    expect(coverage).toHaveLength(rows.length);
  }, 120_000);
});
