/**
 * The node:test run format the testing engine and the deployment engine's smoke run share: a custom
 * reporter, written into the sandbox's temp dir and loaded with `--test-reporter`, and its reader.
 * The reporter turns the runner's events into JSON lines: one per finished test, one with the V8 coverage
 * summary. Plain JavaScript because it runs inside the generated project's Node, not ours.
 */
import { relative } from 'node:path';
import type { TestReport } from '../../contracts/testing.js';
import type { SandboxResult } from '../../sandbox/sandbox.js';

export const REPORTER_SOURCE = `
function errorText(err) {
  if (!err) return null;
  const inner = err.cause ?? err;
  const code = inner.code ? inner.code + ': ' : '';
  return (code + String(inner.message ?? inner)).slice(0, 4000);
}

export default async function* reporter(source) {
  for await (const event of source) {
    if (event.type === 'test:pass' || event.type === 'test:fail') {
      const data = event.data;
      if (data.details?.type === 'suite') continue;
      yield JSON.stringify({
        kind: 'test',
        status: event.type === 'test:fail' ? 'failed' : data.skip || data.todo ? 'skipped' : 'passed',
        name: data.name,
        nesting: data.nesting,
        file: data.file ?? null,
        durationMs: data.details?.duration_ms ?? 0,
        error: event.type === 'test:fail' ? errorText(data.details?.error) : null,
      }) + '\\n';
    } else if (event.type === 'test:coverage') {
      const files = event.data.summary.files.map((f) => ({
        path: f.path,
        lines: f.lines ?? [],
        branches: f.branches ?? [],
        functions: f.functions ?? [],
      }));
      yield JSON.stringify({ kind: 'coverage', files }) + '\\n';
    }
  }
}
`;

export type TestEntry = TestReport['tests'][number];
export interface CoverageFile {
  path: string;
  lines: { line: number; count: number }[];
  branches: { line: number; count: number }[];
  functions: { name: string; line: number; count: number }[];
}

const REQ_TAG = /\[(REQ-\d{3,})\]/g;
const CASE_ID = /^(?:\s*\[REQ-\d{3,}\])+\s+([A-Za-z][A-Za-z0-9._-]{0,40}):\s/;

export function requirementIdsOf(name: string): string[] {
  return [...new Set([...name.matchAll(REQ_TAG)].map((m) => m[1]!))];
}

/**
 * Reads one node:test run: the JSON lines `REPORTER_SOURCE` wrote, plus a failed entry for a
 * process that exited non-zero without a failing test. Shared with the deployment engine's smoke run.
 */
export function phaseTests(
  res: SandboxResult,
  report: string,
  phase: string,
  workspace: string,
): { tests: TestEntry[]; coverage: CoverageFile[] } {
  const tests: TestEntry[] = [];
  const coverage: CoverageFile[] = [];
  for (const line of report.split('\n')) {
    if (!line.startsWith('{')) continue;
    let event: Record<string, unknown>;
    try {
      event = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    if (event.kind === 'coverage') coverage.push(...(event.files as CoverageFile[]));
    if (event.kind !== 'test') continue;
    const name = String(event.name);
    const file = typeof event.file === 'string' ? relative(workspace, event.file) : phase;
    const caseId = CASE_ID.exec(name)?.[1];
    tests.push({
      id: caseId ?? `${file}::${name}`,
      name,
      requirementIds: requirementIdsOf(name),
      status: event.status as TestEntry['status'],
      durationMs: Math.round(Number(event.durationMs) * 100) / 100,
      error: typeof event.error === 'string' ? event.error : null,
      phase,
      file,
    });
  }
  if (res.exitCode !== 0 && !res.timedOut && !tests.some((t) => t.status === 'failed')) {
    tests.push({
      id: `${phase}::process`,
      name: `${phase} test process`,
      requirementIds: [],
      status: 'failed',
      durationMs: res.durationMs,
      error: `exited with ${res.exitCode ?? res.signal}: ${(res.stderr || res.stdout).slice(-2000)}`,
      phase,
    });
  }
  return { tests, coverage };
}
