import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestReport } from '../../src/contracts/testing.js';
import { GOLDEN_EN, GOLDEN_ZH } from '../../src/engines/requirements/golden-texts.js';
import { powerauto } from '../helpers/cli.js';

// The built CLI takes golden requirements through the prototype template (requirements -> coding ->
// testing) with real engines; then a plain `npm test` in the workspace passes too. Four English and
// four Chinese texts chosen to cover custom actions with a per-actor limit, a value rule, CRUD and a
// cancel action; `npm run bench -- golden` runs all of them.
const run = promisify(execFile);

interface RunJson {
  runId: string;
  status: string;
  workspace: string;
  steps: { key: string; status: string; metrics: Record<string, number> }[];
}

interface Case {
  name: string;
  text: string;
  /** The route the custom action must be served at, when the text asks for one. */
  route?: string;
  /** Business rules the generator must turn into code. */
  rules: number;
}

const CASES: Case[] = [
  { name: 'en library', text: GOLDEN_EN.library, route: '/books/{id}/borrow', rules: 1 },
  { name: 'en shop', text: GOLDEN_EN.shop, route: '/orders/{id}/cancel', rules: 0 },
  { name: 'en courses', text: GOLDEN_EN.courses, route: '/courses/{id}/enroll', rules: 1 },
  { name: 'en events', text: GOLDEN_EN.events, rules: 1 },
  { name: 'zh library', text: GOLDEN_ZH.library, route: '/books/{id}/borrow', rules: 1 },
  { name: 'zh shop', text: GOLDEN_ZH.shop, route: '/products/{id}/buy', rules: 0 },
  { name: 'zh clinic', text: GOLDEN_ZH.clinic, route: '/appointments/{id}/cancel', rules: 0 },
  { name: 'zh courses', text: GOLDEN_ZH.courses, route: '/courses/{id}/enroll', rules: 1 },
];

let cacheDir = '';
const homes: string[] = [];

beforeAll(async () => {
  // One dependency cache for every run's home: filled once, then only linked.
  cacheDir = await mkdtemp(join(tmpdir(), 'powerauto-cache-'));
});

afterAll(async () => {
  await Promise.all([...homes, cacheDir].map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('prototype runs of the golden requirements through the CLI', () => {
  it.each(CASES)(
    '$name: succeeds, and `npm test` passes in the workspace',
    async (c) => {
      const home = await mkdtemp(join(tmpdir(), 'powerauto-proto-'));
      homes.push(home);
      const res = await powerauto(home, ['run', c.text, '--template', 'prototype', '--yes', '--json'], {
        env: { POWERAUTO_CACHE_DIR: cacheDir },
      });
      const out = JSON.parse(res.stdout) as RunJson;
      expect({ code: res.code, status: out.status }, res.stderr.slice(-2000)).toEqual({
        code: 0,
        status: 'succeeded',
      });
      const step = (key: string) => out.steps.find((s) => s.key === key);
      expect(step('coding')?.metrics).toMatchObject({ operationsUnimplemented: 0, businessRules: c.rules });
      expect(step('testing')?.metrics).toMatchObject({ testsFailed: 0, mustHavesWithoutPassingTest: 0 });
      expect(step('testing')?.metrics.lineCoverage).toBeGreaterThanOrEqual(80);

      // Every must-have traces to a passing test that names it.
      const spec = JSON.parse(
        await readFile(join(out.workspace, '.powerauto', 'artifacts', 'requirements.json'), 'utf8'),
      ) as { requirements: { id: string; kind: string; priority: string }[] };
      const report = TestReport.parse(
        JSON.parse(await readFile(join(out.workspace, '.powerauto', 'artifacts', 'testing.json'), 'utf8')),
      );
      for (const req of spec.requirements.filter(
        (r) => r.priority === 'must' && r.kind !== 'non_functional',
      )) {
        expect(report.traceability.find((t) => t.requirementId === req.id)?.status, req.id).toBe('passed');
        expect(
          report.tests.some((t) => t.status === 'passed' && t.name.includes(`[${req.id}]`)),
          req.id,
        ).toBe(true);
      }
      if (c.route !== undefined) {
        const table = await readFile(join(out.workspace, 'src', 'routes', 'index.ts'), 'utf8');
        expect(table).toContain(JSON.stringify(c.route));
      }

      // By hand, outside powerauto: the workspace's own scripts, through its node_modules link to the cache.
      const npm = await run('npm', ['test'], { cwd: out.workspace, timeout: 90_000 });
      expect(npm.stdout).toMatch(/# fail 0/);
      expect(npm.stdout).toMatch(/# pass [1-9]/);
      expect(npm.stdout).not.toMatch(/# skipped [1-9]/);
    },
    // Three type checks of a Fastify + Kysely service per case; 65 s alone, up to 165 s on a loaded machine.
    300_000,
  );
});
