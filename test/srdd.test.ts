import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { validate as independentValidate } from '@readme/openapi-parser';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { ArchitectureSpec } from '../src/contracts/architecture.js';
import { RequirementsSpec } from '../src/contracts/requirements.js';
import { offlineBrain as architecture } from '../src/engines/architecture/offline.js';
import type { EngineToolContext } from '../src/engines/brain.js';
import { offlineBrain as requirements } from '../src/engines/requirements/offline.js';

/**
 * Robustness over the public SRDD set (1,200 descriptions). Every description goes through the real
 * requirements_analyze and architecture_design tools; the design tool validates its OpenAPI document
 * against the official OpenAPI schema and reports it in `metrics.openapiValid`. A sample is checked
 * again with a second, independent validator library (too slow to run on all 1,200).
 */

// The shared datasets sit beside the checkout: one level up from /work/main, two from a worktree.
const CSV =
  ['../../shared', '../../../shared']
    .map((up) => resolve(import.meta.dirname, up, 'datasets/srdd/srdd.csv'))
    .find((p) => existsSync(p)) ?? resolve(import.meta.dirname, '../../shared/datasets/srdd/srdd.csv');
const ctx: EngineToolContext = {
  idempotencyKey: undefined,
  signal: new AbortController().signal,
  progress: async () => {},
};

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

describe('SRDD robustness', () => {
  it('analyses and designs every description: no crash, valid specs, valid OpenAPI', async () => {
    const rows = parse(readFileSync(CSV), { columns: true }) as Array<{
      Name: string;
      Description: string;
      Category: string;
    }>;
    expect(rows.length).toBeGreaterThan(1000);
    const coverage: number[] = [];
    const byCategory: Record<string, number> = {};
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
        const design = ArchitectureSpec.parse(
          await architecture.architecture_design!({ requirements: spec }, ctx),
        );
        if (design.metrics.openapiValid !== 1)
          failures.push(`${row.Name}: ${design.openQuestions.join('; ')}`);
        if (i % 40 === 0) {
          const second = await independentValidate(
            structuredClone(design.api) as Parameters<typeof independentValidate>[0],
          );
          if (!second.valid) failures.push(`${row.Name}: ${second.errors.map((e) => e.message).join('; ')}`);
        }
      } catch (err) {
        failures.push(`${row.Name}: ${String(err)}`);
      }
    }
    expect(failures).toEqual([]);

    coverage.sort((a, b) => a - b);
    const histogram: Record<string, number> = {};
    for (const c of coverage) {
      const low = Math.floor(c * 5) / 5;
      const bucket = c === 1 ? '1.0' : `${low.toFixed(1)}-${(low + 0.2).toFixed(1)}`;
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
