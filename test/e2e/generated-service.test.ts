import { execFile } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { TestReport } from '../../src/contracts/testing.js';
import { fixCode, generateCode } from '../../src/engines/coding/generate.js';
import {
  chineseSpecs,
  librarySpecs,
  tempWorkspace,
  testContext,
} from '../../src/engines/coding/test-fixtures.js';
import { runTests } from '../../src/engines/testing/run.js';
import { commitAll } from '../../src/workspace/git.js';

// Real processes end to end: generate a service, run its tests in the sandbox, break it, repair it.
process.env.POWERAUTO_HOME ??= join(tmpdir(), 'powerauto-test-home');
const run = promisify(execFile);
// Each of these type-checks and runs a generated service on Fastify and Kysely, some twice: on a shared
// two-core machine that takes longer than the default minute.
const HEAVY = 240_000;
const ctx = testContext();
const workspaces: string[] = [];

async function generated(specs: ReturnType<typeof librarySpecs> | ReturnType<typeof chineseSpecs>) {
  const ws = await tempWorkspace();
  workspaces.push(ws);
  const code = await generateCode({ ...specs, workspace: ws }, ctx);
  return { ws, code };
}

afterAll(async () => {
  await Promise.all(workspaces.map((ws) => rm(ws, { recursive: true, force: true })));
});

function expectHealthy(report: TestReport, requirements: { id: string; priority: string; kind: string }[]) {
  expect(TestReport.parse(report)).toBeTruthy();
  expect(report.tests.filter((t) => t.status === 'failed')).toEqual([]);
  expect(report.passed).toBe(true);
  expect(report.coverage?.lines).toBeGreaterThanOrEqual(80);
  expect(report.metrics.mustHavesWithoutPassingTest).toBe(0);
  for (const req of requirements.filter((r) => r.priority === 'must' && r.kind !== 'non_functional')) {
    expect(report.traceability.find((t) => t.requirementId === req.id)?.status, req.id).toBe('passed');
  }
}

describe('generated library service', () => {
  const specs = librarySpecs();
  let ws = '';

  it(
    'generates, passes its tests in the sandbox with >= 80% coverage, and `npm test` by hand',
    async () => {
      const out = await generated(specs);
      ws = out.ws;
      expect(out.code.commit).toMatch(/^[0-9a-f]{40}$/);
      expect(out.code.files.map((f) => f.path)).toEqual(
        expect.arrayContaining([
          'package.json',
          'Dockerfile',
          '.env.example',
          'README.md',
          'src/routes/book.ts',
          'test/integration/api.test.ts',
        ]),
      );
      const report = await runTests({ workspace: ws, testPlan: specs.testPlan }, ctx);
      expectHealthy(report, specs.requirements.requirements);
      expect(report.tests.find((t) => t.id === 'TC-004')?.requirementIds).toEqual(['REQ-005']);
      expect(report.metrics.testsTotal).toBe(report.tests.length);

      const npm = await run('npm', ['test'], { cwd: ws, timeout: 60_000 });
      expect(npm.stdout).toMatch(/# fail 0/);
      expect(npm.stdout).toMatch(/# pass [1-9]/);
      // The live smoke suite is built too, and without BASE_URL it skips instead of failing.
      const env = { ...process.env, BASE_URL: '' };
      const smoke = await run('npm', ['run', 'test:smoke'], { cwd: ws, timeout: 30_000, env });
      expect(smoke.stdout).toMatch(/# skipped 3/);
      expect(smoke.stdout).toMatch(/# fail 0/);
    },
    HEAVY,
  );

  it(
    'repairs a corrupted route handler, and says so when it cannot fix a failure',
    async () => {
      const route = join(ws, 'src', 'routes', 'book.ts');
      const original = await readFile(route, 'utf8');
      const corrupted = original.replace(
        'return { status: 201, body: await store.books.create(input) };',
        'return { status: 200, body: input };',
      );
      expect(corrupted).not.toBe(original);
      await writeFile(route, corrupted);
      await commitAll(ws, 'a developer breaks createBook');

      const broken = await runTests({ workspace: ws }, ctx);
      expect(broken.passed).toBe(false);
      const failing = broken.tests.filter((t) => t.status === 'failed');
      expect(failing.flatMap((t) => t.requirementIds)).toContain('REQ-001');
      expect(broken.traceability.find((t) => t.requirementId === 'REQ-001')?.status).toBe('failed');

      const fix = await fixCode({ ...specs, testReport: broken, workspace: ws }, ctx);
      expect(fix.metrics.fixed).toBe(1);
      expect(fix.files.map((f) => f.path)).toContain('src/routes/book.ts');
      expect(fix.commit).toMatch(/^[0-9a-f]{40}$/);
      expect(await readFile(route, 'utf8')).toBe(original);
      const rerun = await runTests({ workspace: ws }, ctx);
      expect(rerun.passed).toBe(true);

      // A hand-written test that no regeneration can satisfy: unresolved, fixed = 0.
      await writeFile(
        join(ws, 'test', 'unit', 'custom.test.ts'),
        "import assert from 'node:assert/strict';\nimport { test } from 'node:test';\n\ntest('[REQ-001] books are free of charge', () => {\n  assert.equal(1, 2);\n});\n",
      );
      const failingAgain = await runTests({ workspace: ws }, ctx);
      expect(failingAgain.tests.find((t) => t.name.includes('free of charge'))?.status).toBe('failed');
      const noFix = await fixCode({ ...specs, testReport: failingAgain, workspace: ws }, ctx);
      expect(noFix.metrics.fixed).toBe(0);
      expect(noFix.unresolved.join('\n')).toMatch(/free of charge.*REQ-001.*outside the generated code/);
    },
    HEAVY,
  );
});

describe('generated service from Chinese-named requirements', () => {
  it(
    'uses ASCII identifiers and passes its tests',
    async () => {
      const specs = chineseSpecs();
      const { ws, code } = await generated(specs);
      for (const file of code.files) expect(file.path).toMatch(/^[A-Za-z0-9._/-]+$/);
      const report = await runTests({ workspace: ws }, ctx);
      expectHealthy(report, specs.requirements.requirements);
      expect(report.traceability.find((t) => t.requirementId === 'REQ-005')?.status).toBe('passed');
    },
    HEAVY,
  );
});

describe('sandbox violations in generated code', () => {
  it(
    'reports reads outside the workspace, secrets and endless tests as sandbox errors',
    async () => {
      const { ws } = await generated(librarySpecs());
      const outside = join(tmpdir(), `pa-private-${process.pid}.txt`);
      await writeFile(outside, 'orchestrator-only');
      process.env.POWERAUTO_TEST_SECRET = 'do-not-leak-me';
      try {
        await writeFile(
          join(ws, 'test', 'unit', 'hostile.test.ts'),
          [
            "import assert from 'node:assert/strict';",
            "import { readFileSync } from 'node:fs';",
            "import { test } from 'node:test';",
            '',
            `test('[REQ-001] reads a file outside', () => {\n  assert.ok(readFileSync(${JSON.stringify(outside)}, 'utf8'));\n});`,
            "test('[REQ-002] reads the secret', () => {\n  assert.ok(process.env.POWERAUTO_TEST_SECRET, 'POWERAUTO_TEST_SECRET is not set');\n});",
            '',
          ].join('\n'),
        );
        await writeFile(
          join(ws, 'test', 'integration', 'forever.test.ts'),
          "import { test } from 'node:test';\n\ntest('never ends', async () => {\n  await new Promise(() => setInterval(() => {}, 1000));\n});\n",
        );
        const report = await runTests({ workspace: ws }, ctx, { phaseTimeoutMs: 25_000, memoryMb: 256 });
        expect(report.passed).toBe(false);
        const kinds = report.sandbox?.violations.map((v) => `${v.code}:${v.kind}`) ?? [];
        expect(kinds).toContain('TIMEOUT:time');
        expect(kinds).toContain('SANDBOX_VIOLATION:environment');
        if (report.sandbox?.filesystem === 'namespace')
          expect(kinds).toContain('SANDBOX_VIOLATION:filesystem');
        expect(report.tests.find((t) => t.name.includes('outside'))?.error).toMatch(/SANDBOX_VIOLATION/);
        expect(JSON.stringify(report)).not.toContain('do-not-leak-me');
        expect(JSON.stringify(report)).not.toContain('orchestrator-only');
      } finally {
        delete process.env.POWERAUTO_TEST_SECRET;
        await rm(outside, { force: true });
      }
    },
    HEAVY,
  );
});
