import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestPlan } from '../../contracts/architecture.js';
import type { TestReport } from '../../contracts/testing.js';
import { looksSecret } from '../../sandbox/env.js';
import { Sandbox, type SandboxResult } from '../../sandbox/sandbox.js';
import { confinedPath, isInside } from '../../workspace/files.js';
import type { EngineToolContext } from '../brain.js';
import { readManifest } from '../shared/codegen-manifest.js';
import { linkDevDependencies } from '../shared/dev-deps.js';
import { type CoverageFile, phaseTests, REPORTER_SOURCE, type TestEntry } from '../shared/test-reporter.js';

export interface TestRunOptions {
  /** Wall-clock limit per phase (build, unit, integration). */
  phaseTimeoutMs: number;
  /** V8 heap cap for every Node process in the sandbox. */
  memoryMb: number;
}

export const DEFAULT_TEST_RUN_OPTIONS: TestRunOptions = { phaseTimeoutMs: 120_000, memoryMb: 512 };

type Violation = NonNullable<TestReport['sandbox']>['violations'][number];

/** Explains failures the sandbox caused, so a reader sees "refused by the sandbox" rather than a bare ENOENT. */
function annotate(tests: TestEntry[], sandbox: Sandbox, withheld: string[]): Violation[] {
  const violations: Violation[] = [];
  const secretish = withheld.filter((n) => looksSecret(n) || n.startsWith('POWERAUTO'));
  for (const test of tests) {
    if (test.status !== 'failed' || !test.error) continue;
    let why: Violation | null = null;
    const fsHit = /\b(ENOENT|EACCES|EPERM|EROFS)\b[^\n]*?'(\/[^']+)'/.exec(test.error);
    if (fsHit?.[2] && !isInside(sandbox.workspace, fsHit[2]) && !isInside(sandbox.tmpDir, fsHit[2])) {
      why = {
        code: 'SANDBOX_VIOLATION',
        kind: 'filesystem',
        message: `access to ${fsHit[2]} outside the workspace was refused by the sandbox (${fsHit[1]})`,
        testId: test.id,
      };
    }
    const env = secretish.find((n) => new RegExp(`\\b${n}\\b`).test(test.error ?? ''));
    if (!why && env) {
      why = {
        code: 'SANDBOX_VIOLATION',
        kind: 'environment',
        message: `environment variable ${env} is withheld from sandboxed code`,
        testId: test.id,
      };
    }
    const net = /\b(ENETUNREACH|EAI_AGAIN|ENOTFOUND)\b/.exec(test.error);
    if (!why && net && sandbox.isolation.network === 'loopback') {
      why = {
        code: 'SANDBOX_VIOLATION',
        kind: 'network',
        message: `network access beyond loopback was refused by the sandbox (${net[1]})`,
        testId: test.id,
      };
    }
    if (why) {
      violations.push(why);
      test.error = `${why.code}: ${why.message}\n${test.error}`;
    }
  }
  return violations;
}

function mergeCoverage(files: CoverageFile[], workspace: string): TestReport['coverage'] {
  const src = join(workspace, 'dist', 'src');
  const lines = new Map<string, number>();
  const branches = new Map<string, number>();
  const functions = new Map<string, number>();
  const bump = (map: Map<string, number>, key: string, count: number) =>
    map.set(key, Math.max(map.get(key) ?? 0, count));
  for (const file of files.filter((f) => isInside(src, f.path))) {
    for (const l of file.lines) bump(lines, `${file.path}:${l.line}`, l.count);
    const perLine = new Map<number, number>();
    for (const b of file.branches) {
      const index = perLine.get(b.line) ?? 0;
      perLine.set(b.line, index + 1);
      bump(branches, `${file.path}:${b.line}:${index}`, b.count);
    }
    for (const f of file.functions) bump(functions, `${file.path}:${f.name}:${f.line}`, f.count);
  }
  if (lines.size === 0) return null;
  const pct = (map: Map<string, number>) => {
    if (map.size === 0) return 100;
    const covered = [...map.values()].filter((c) => c > 0).length;
    return Math.round((covered / map.size) * 10_000) / 100;
  };
  return { lines: pct(lines), branches: pct(branches), functions: pct(functions) };
}

function tscErrors(output: string, requirementsOf: (file: string) => string[]): TestEntry[] {
  const errors = [...output.matchAll(/^(.+?)\((\d+),(\d+)\): error (TS\d+): (.*)$/gm)];
  if (errors.length === 0) {
    return [
      {
        id: 'build::tsc',
        name: 'build: tsc',
        requirementIds: [],
        status: 'failed',
        durationMs: 0,
        error: output.slice(-4000) || 'tsc failed',
        phase: 'build',
      },
    ];
  }
  return errors.slice(0, 50).map((m) => ({
    id: `build::${m[1]}:${m[2]}`,
    name: `build: ${m[1]}:${m[2]} ${m[4]}`,
    requirementIds: requirementsOf(m[1] ?? '').filter((id) => id !== '*'),
    status: 'failed' as const,
    durationMs: 0,
    error: `${m[4]}: ${m[5]}`,
    phase: 'build',
  }));
}

export async function runTests(
  input: { workspace: string; testPlan?: TestPlan },
  ctx: EngineToolContext,
  options: TestRunOptions = DEFAULT_TEST_RUN_OPTIONS,
): Promise<TestReport> {
  const started = performance.now();
  const workspace = input.workspace;
  const modules = await linkDevDependencies(workspace);
  const manifest = await readManifest(workspace);
  const sandbox = await Sandbox.create({ workspace, readOnly: [modules] });
  const tests: TestEntry[] = [];
  const coverageFiles: CoverageFile[] = [];
  const violations: Violation[] = [];
  const withheld = new Set<string>();
  let limits: SandboxResult['limits'] = null;
  try {
    const reporter = join(sandbox.tmpDir, 'reporter.mjs');
    await writeFile(reporter, REPORTER_SOURCE);
    const run = async (name: string, args: string[]) => {
      const res = await sandbox.run(process.execPath, args, {
        timeoutMs: options.phaseTimeoutMs,
        memoryMb: options.memoryMb,
        signal: ctx.signal,
      });
      for (const n of res.withheldEnv) withheld.add(n);
      limits = res.limits;
      if (res.usage.memoryLimitHit)
        violations.push({
          code: 'SANDBOX_VIOLATION',
          kind: 'memory',
          message: `${name} hit the sandbox memory limit (${sandbox.limits.memoryMb} MiB)`,
          testId: null,
        });
      if (res.usage.pidsLimitHit)
        violations.push({
          code: 'SANDBOX_VIOLATION',
          kind: 'processes',
          message: `${name} hit the sandbox process limit (${sandbox.limits.pids})`,
          testId: null,
        });
      if (res.timedOut) {
        const message = `${name} exceeded its ${options.phaseTimeoutMs} ms limit; the sandbox killed its processes`;
        violations.push({ code: 'TIMEOUT', kind: 'time', message, testId: `${name}::timeout` });
        tests.push({
          id: `${name}::timeout`,
          name: `${name}: time limit`,
          requirementIds: [],
          status: 'failed',
          durationMs: res.durationMs,
          error: `TIMEOUT: ${message}`,
          phase: 'sandbox',
        });
      }
      ctx.signal.throwIfAborted();
      return res;
    };

    await ctx.progress(0, 3, 'build');
    await rm(await confinedPath(workspace, 'dist'), { recursive: true, force: true });
    const build = await run('build', [
      join(workspace, 'node_modules', 'typescript', 'bin', 'tsc'),
      '-p',
      'tsconfig.json',
      '--pretty',
      'false',
    ]);
    if (build.exitCode !== 0 && !build.timedOut) {
      tests.push(
        ...tscErrors(build.stdout + build.stderr, (file) => manifest?.files[file]?.requirementIds ?? []),
      );
    }
    if (build.exitCode === 0) {
      for (const [i, phase] of (['unit', 'integration'] as const).entries()) {
        const dir = join('dist', 'test', phase);
        if (!existsSync(join(workspace, dir))) continue;
        await ctx.progress(1 + i, 3, `${phase} tests`);
        const out = join(sandbox.tmpDir, `${phase}.jsonl`);
        const res = await run(phase, [
          '--test',
          '--experimental-test-coverage',
          `--test-reporter=${reporter}`,
          `--test-reporter-destination=${out}`,
          `${dir}/`,
        ]);
        const text = await readFile(out, 'utf8').catch(() => '');
        const parsed = phaseTests(res, text, phase, workspace);
        tests.push(...parsed.tests);
        coverageFiles.push(...parsed.coverage);
      }
    }
    violations.push(...annotate(tests, sandbox, [...withheld]));
  } finally {
    await sandbox.dispose();
  }

  const coverage = mergeCoverage(coverageFiles, workspace);
  const requirements = new Map<string, { kind: string; priority: string }>();
  for (const r of manifest?.requirements ?? []) requirements.set(r.id, r);
  const plan = input.testPlan ?? manifest?.testPlan ?? undefined;
  for (const c of plan?.cases ?? [])
    for (const id of c.requirementIds)
      if (!requirements.has(id)) requirements.set(id, { kind: 'functional', priority: 'must' });
  for (const t of tests)
    for (const id of t.requirementIds)
      if (!requirements.has(id)) requirements.set(id, { kind: 'functional', priority: 'should' });
  const traceability: TestReport['traceability'] = [];
  for (const [id, req] of [...requirements.entries()].sort()) {
    const mine = tests.filter((t) => t.requirementIds.includes(id));
    if (mine.length === 0 && req.kind === 'non_functional') continue;
    const status =
      mine.length === 0
        ? 'untested'
        : mine.some((t) => t.status === 'failed')
          ? 'failed'
          : mine.some((t) => t.status === 'passed')
            ? 'passed'
            : 'untested';
    traceability.push({ requirementId: id, testIds: mine.map((t) => t.id), status });
  }
  const mustHavesWithoutPassingTest = [...requirements.entries()].filter(
    ([id, r]) =>
      r.priority === 'must' &&
      r.kind !== 'non_functional' &&
      traceability.find((t) => t.requirementId === id)?.status !== 'passed',
  ).length;

  const suites = new Map<string, { passed: number; failed: number }>();
  for (const t of tests) {
    const name = t.file ?? t.phase ?? 'tests';
    const suite = suites.get(name) ?? { passed: 0, failed: 0 };
    if (t.status === 'passed') suite.passed++;
    if (t.status === 'failed') suite.failed++;
    suites.set(name, suite);
  }
  const failed = tests.filter((t) => t.status === 'failed').length;
  const metrics: Record<string, number> = {
    testsTotal: tests.length,
    testsFailed: failed,
    testsPassed: tests.filter((t) => t.status === 'passed').length,
    mustHavesWithoutPassingTest,
    sandboxViolations: violations.length,
    durationMs: Math.round(performance.now() - started),
  };
  if (coverage) {
    metrics.lineCoverage = coverage.lines;
    metrics.branchCoverage = coverage.branches;
    metrics.functionCoverage = coverage.functions;
  }
  return {
    suites: [...suites.entries()].map(([name, s]) => ({ name, ...s })),
    tests,
    coverage,
    traceability,
    passed: failed === 0 && tests.length > 0,
    sandbox: {
      ...sandbox.isolation,
      limits,
      memoryMb: options.memoryMb,
      timeoutMs: options.phaseTimeoutMs,
      violations,
    },
    metrics,
  };
}
