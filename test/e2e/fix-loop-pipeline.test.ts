import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { CodeReport } from '../../src/contracts/code.js';
import { RequirementsSpec } from '../../src/contracts/requirements.js';
import { TestReport } from '../../src/contracts/testing.js';
import { type RealPipeline, startRealPipeline } from '../helpers/real-pipeline.js';

// The fix loop through the real orchestrator, coordinator and engines: code_generate writes a service,
// then (as a faulty generator would) its borrow handler is broken before the orchestrator commits the
// step. The testing step must fail on the borrow requirement, fix-1 (code_fix) must restore the
// handler, and the re-run of testing must pass, ending the run `succeeded`.
process.env.POWERAUTO_HOME ??= join(tmpdir(), 'powerauto-test-home');
const git = promisify(execFile);

const REQUIREMENT =
  'A library service where librarians add books with title, author and ISBN, and members borrow them. A member can borrow at most 3 books.';
const STORES_THE_RECORD = 'return { status: 201, body: await store.bookBorrows.create(input) };';
const FORGETS_THE_RECORD = 'return { status: 201, body: input };';

let home = '';
let pipeline: RealPipeline | undefined;

afterAll(async () => {
  await pipeline?.close();
  if (home) await rm(home, { recursive: true, force: true });
});

describe('fix loop at the pipeline level', () => {
  it('reports the broken route with its requirement id, repairs it in fix-1, and the re-run passes', async () => {
    home = await mkdtemp(join(tmpdir(), 'powerauto-fixloop-'));
    let corrupted = false;
    pipeline = await startRealPipeline(home, {
      after: async (call) => {
        if (call.tool !== 'code_generate' || corrupted) return;
        const route = join(String(call.input.workspace), 'src', 'routes', 'book.ts');
        const text = await readFile(route, 'utf8');
        expect(text).toContain(STORES_THE_RECORD);
        await writeFile(route, text.replace(STORES_THE_RECORD, FORGETS_THE_RECORD));
        corrupted = true;
      },
    });
    const { orchestrator, calls } = pipeline;
    const started = await orchestrator.startRun({ requirement: REQUIREMENT, template: 'prototype' });
    const run = await orchestrator.drive(started.id);
    expect(corrupted).toBe(true);

    const output = (tool: string, n = 0) => calls.filter((c) => c.call.tool === tool)[n];
    const spec = RequirementsSpec.parse(output('requirements_analyze')?.output);
    const idOf = (match: (r: RequirementsSpec['requirements'][number]) => boolean) => {
      const id = spec.requirements.find(match)?.id;
      expect(id).toBeDefined();
      return id ?? '';
    };
    const borrow = idOf((r) => r.kind === 'functional' && r.action === 'borrow');
    const limit = idOf(
      (r) =>
        r.kind === 'business_rule' &&
        r.rule !== undefined &&
        'action' in r.rule &&
        r.rule.action === 'borrow',
    );
    const add = idOf((r) => r.kind === 'functional' && r.action === 'create');

    // 1. The first test run fails, and names the borrow requirements, not the untouched create.
    const first = TestReport.parse(output('test_run', 0)?.output);
    expect(first.passed).toBe(false);
    const failedIds = first.tests.filter((t) => t.status === 'failed').flatMap((t) => t.requirementIds);
    expect(failedIds).toContain(borrow);
    expect(failedIds).toContain(limit);
    expect(failedIds).not.toContain(add);
    const status = (report: TestReport, id: string) =>
      report.traceability.find((t) => t.requirementId === id)?.status;
    expect(status(first, borrow)).toBe('failed');
    expect(status(first, add)).toBe('passed');

    // 2. fix-1 got that report from the orchestrator and restored the route file.
    const fix = calls.find((c) => c.call.stepKey === 'fix-1');
    expect(fix?.call.tool).toBe('code_fix');
    expect(TestReport.parse(fix?.call.input.testReport).passed).toBe(false);
    const repaired = CodeReport.parse(fix?.output);
    expect(repaired.metrics.fixed).toBe(1);
    expect(repaired.files.map((f) => f.path)).toContain('src/routes/book.ts');
    expect(repaired.unresolved).toEqual([]);

    // 3. The re-run of testing passes, and the run ends succeeded.
    const rerun = output('test_run', 1);
    expect(rerun?.call).toMatchObject({ stepKey: 'testing', attempt: 2 });
    const second = TestReport.parse(rerun?.output);
    expect(second.passed).toBe(true);
    expect(status(second, borrow)).toBe('passed');
    expect(status(second, limit)).toBe('passed');
    expect(run.status).toBe('succeeded');
    const steps = await orchestrator.store.getSteps(run.id);
    expect(steps.map((s) => `${s.key}:${s.status}`)).toEqual(
      expect.arrayContaining(['coding:succeeded', 'fix-1:succeeded', 'testing:succeeded']),
    );

    // The workspace holds the repaired handler, committed by code_fix.
    const workspace = String(output('code_generate')?.call.input.workspace);
    const route = await readFile(join(workspace, 'src', 'routes', 'book.ts'), 'utf8');
    expect(route).toContain(STORES_THE_RECORD);
    expect(route).not.toContain(FORGETS_THE_RECORD);
    const log = await git('git', ['log', '--format=%s'], { cwd: workspace });
    expect(log.stdout).toMatch(/code_fix: restore src\/routes\/book\.ts/);
  }, 120_000);
});
