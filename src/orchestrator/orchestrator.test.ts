import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { simpleGit } from 'simple-git';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createHarness, type Harness } from '../../test/helpers/orchestrator-harness.js';
import { PASSING_METRICS, RecordingExecutor } from '../../test/helpers/recording-executor.js';
import { OrchestratorConfig } from '../config/orchestrator.js';
import { PowerAutoError } from '../contracts/errors.js';
import type { RunEvent } from '../contracts/events.js';
import { offlineBrain as requirementsBrain } from '../engines/requirements/offline.js';
import { openSqliteDb } from '../store/db.js';
import { Store } from '../store/store.js';
import { Orchestrator } from './orchestrator.js';

const REQUIREMENT = 'A library service where librarians add books and members borrow them.';
const AUTO = {
  gatePolicies: { requirements: 'auto', architecture: 'auto', code_review: 'auto', release: 'auto' },
} as const;

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function setup(executor: RecordingExecutor, config: Record<string, unknown> = {}) {
  harness = await createHarness(executor, config);
  return harness;
}

describe('Orchestrator', () => {
  it('runs the full template, overlapping independent steps and never breaking a dependency', async () => {
    const executor = new RecordingExecutor({ delayMs: 60 });
    const { orchestrator, store } = await setup(executor);
    const run = await orchestrator.startRun({ requirement: REQUIREMENT, template: 'full', options: AUTO });
    const done = await orchestrator.drive(run.id);
    expect(done.status).toBe('succeeded');

    const byStep = new Map(executor.calls.map((c) => [c.stepKey, c]));
    const arch = byStep.get('architecture')!;
    const plan = byStep.get('test_plan')!;
    // Both take 60 ms; run one after the other they could not overlap.
    expect(Math.max(arch.startedAt, plan.startedAt)).toBeLessThan(
      Math.min(arch.finishedAt!, plan.finishedAt!),
    );
    const analysis = byStep.get('static_analysis')!;
    const testing = byStep.get('testing')!;
    expect(Math.max(analysis.startedAt, testing.startedAt)).toBeLessThan(
      Math.min(analysis.finishedAt!, testing.finishedAt!),
    );

    const steps = await store.getSteps(run.id);
    for (const step of steps) {
      const call = byStep.get(step.key);
      if (call === undefined) continue;
      for (const dep of step.dependsOn) {
        const depStep = steps.find((s) => s.key === dep)!;
        const depCall = byStep.get(dep);
        const depFinished = depCall?.finishedAt ?? Date.parse(depStep.finishedAt!);
        if (depCall !== undefined) expect(call.startedAt).toBeGreaterThanOrEqual(depFinished);
      }
    }
    expect(steps.every((s) => s.status === 'succeeded')).toBe(true);

    const events = await store.eventsSince(run.id, 0);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
  });

  it('keeps to the concurrency limit', async () => {
    const executor = new RecordingExecutor({ delayMs: 30 });
    const { orchestrator } = await setup(executor, { scheduler: { concurrency: 1 } });
    const run = await orchestrator.startRun({ requirement: REQUIREMENT, template: 'full', options: AUTO });
    await orchestrator.drive(run.id);
    const sorted = [...executor.calls].sort((a, b) => a.startedAt - b.startedAt);
    for (let i = 1; i < sorted.length; i++) {
      expect(sorted[i]!.startedAt).toBeGreaterThanOrEqual(sorted[i - 1]!.finishedAt!);
    }
  });

  it('waits at required gates and continues after approval, auditing each decision', async () => {
    const executor = new RecordingExecutor();
    const { orchestrator, store } = await setup(executor);
    const run = await orchestrator.startRun({ requirement: REQUIREMENT, template: 'design' });
    expect((await orchestrator.drive(run.id)).status).toBe('waiting_approval');
    expect((await store.getStep(run.id, 'gate:requirements'))?.status).toBe('waiting_approval');
    expect(executor.calls.map((c) => c.stepKey)).toEqual(['requirements']);

    await orchestrator.approve(run.id, 'requirements', { actor: 'alice', comment: 'looks right' });
    expect((await orchestrator.drive(run.id)).status).toBe('waiting_approval');
    await orchestrator.approve(run.id, undefined, { actor: 'alice' });
    expect((await orchestrator.drive(run.id)).status).toBe('succeeded');

    const audit = await store.listAudit();
    expect(audit.filter((a) => a.action === 'gate.approve').map((a) => a.actor)).toEqual(['alice', 'alice']);
    await expect(orchestrator.approve(run.id, 'requirements', { actor: 'alice' })).rejects.toThrow(
      /not waiting/,
    );
  });

  it('approves an edited artifact as a new version, and the next stage works from the edit', async () => {
    const ctx = { idempotencyKey: undefined, signal: new AbortController().signal, progress: async () => {} };
    const executor = new RecordingExecutor({
      // The real offline brain, so the artifact under review is a genuine RequirementsSpec.
      behaviours: {
        requirements_analyze: (call) => requirementsBrain.requirements_analyze!(call.input, ctx),
      },
    });
    const { orchestrator, store } = await setup(executor);
    const run = await orchestrator.startRun({ requirement: REQUIREMENT, template: 'design' });
    await orchestrator.drive(run.id);
    const original = await orchestrator.getArtifact(run.id, 'requirements');
    const spec = original.content as { summary: string; requirements: { id: string }[] };

    await expect(
      orchestrator.approve(run.id, 'requirements', {
        actor: 'rev',
        edited: { ...spec, requirements: 'none' },
      }),
    ).rejects.toThrow(/edited requirements artifact does not match its schema: requirements:/);
    expect((await store.getStep(run.id, 'gate:requirements'))?.status).toBe('waiting_approval');

    const edited = {
      ...spec,
      summary: 'Edited by the reviewer',
      requirements: spec.requirements.slice(0, 1),
    };
    const approval = await orchestrator.approve(run.id, 'requirements', { actor: 'rev', edited });
    expect(approval.decision).toBe('edited');
    const current = await orchestrator.getArtifact(run.id, 'requirements');
    expect(current.version).toBe(original.version + 1);
    expect(current.content).toMatchObject({ summary: 'Edited by the reviewer' });

    await orchestrator.drive(run.id);
    const architectureInput = executor.calls.find((c) => c.stepKey === 'architecture')!.input;
    expect(architectureInput.requirements).toMatchObject({ summary: 'Edited by the reviewer' });
    expect((architectureInput.requirements as { requirements: unknown[] }).requirements).toHaveLength(1);
    expect((await store.listAudit()).map((a) => a.action)).toContain('gate.edit_and_approve');
    const { workspacePath } = (await orchestrator.getRunView(run.id)).project;
    expect((await simpleGit(workspacePath).log()).all.map((c) => c.message)).toContain(
      `requirements: run ${run.id} edited by rev`,
    );
  });

  it('re-runs the reviewed stage with the feedback when a gate is rejected', async () => {
    const executor = new RecordingExecutor();
    const { orchestrator, store } = await setup(executor);
    const run = await orchestrator.startRun({
      requirement: REQUIREMENT,
      template: 'design',
      options: { gatePolicies: { requirements: 'auto' } },
    });
    await orchestrator.drive(run.id);
    const firstArchitecture = await orchestrator.getArtifact(run.id, 'architecture');

    await orchestrator.reject(run.id, 'architecture', {
      actor: 'rev',
      feedback: 'Split payments into a service',
    });
    expect((await orchestrator.drive(run.id)).status).toBe('waiting_approval');

    const calls = executor.calls.filter((c) => c.stepKey === 'architecture');
    expect(calls).toHaveLength(2);
    expect(calls[1]!.input.feedback).toBe('Split payments into a service');
    expect(calls[1]!.input.previous).toEqual(firstArchitecture.content);
    expect(calls.map((c) => c.idempotencyKey)).toEqual([
      `${run.id}:architecture:1`,
      `${run.id}:architecture:2`,
    ]);
    // Requirements were approved and are not redone.
    expect(executor.keysFor('requirements')).toHaveLength(1);
    const second = await orchestrator.getArtifact(run.id, 'architecture');
    expect(second.version).toBe(2);
    expect((await store.listApprovals(run.id)).map((a) => a.decision)).toEqual(['approved', 'rejected']);
  });

  it('rolls back to an earlier stage: the workspace returns to its commit and later stages re-run', async () => {
    const executor = new RecordingExecutor();
    const { orchestrator, store } = await setup(executor);
    const run = await orchestrator.startRun({ requirement: REQUIREMENT, template: 'prototype' });
    expect((await orchestrator.drive(run.id)).status).toBe('succeeded');
    const view = await orchestrator.getRunView(run.id);
    const workspace = view.project.workspacePath;
    const requirementsCommit = view.steps.find((s) => s.key === 'requirements')!.workspaceCommit!;
    expect(existsSync(join(workspace, 'stages', 'coding.txt'))).toBe(true);

    await orchestrator.rollback(run.id, 'requirements', 'alice');
    expect((await simpleGit(workspace).revparse(['HEAD'])).trim()).toBe(requirementsCommit);
    expect(existsSync(join(workspace, 'stages', 'coding.txt'))).toBe(false);
    expect(existsSync(join(workspace, 'stages', 'requirements.txt'))).toBe(true);
    expect((await store.getStep(run.id, 'coding'))?.status).toBe('pending');

    expect((await orchestrator.drive(run.id)).status).toBe('succeeded');
    expect(executor.keysFor('requirements')).toHaveLength(1);
    expect(executor.keysFor('coding')).toEqual([`${run.id}:coding:1`, `${run.id}:coding:2`]);
    const log = await simpleGit(workspace).log();
    expect(log.all.map((c) => c.message)).toContain(`coding: run ${run.id} step coding attempt 2`);
  });

  it('fails a quality gate when a metric was not measured', async () => {
    const executor = new RecordingExecutor({
      behaviours: { architecture_design: () => ({ metrics: { mustHavesUntraced: 0 } }) },
    });
    const { orchestrator, store } = await setup(executor);
    const run = await orchestrator.startRun({
      requirement: REQUIREMENT,
      template: 'design',
      options: { gatePolicies: { requirements: 'auto', architecture: 'auto' } },
    });
    const done = await orchestrator.drive(run.id);
    expect(done.status).toBe('failed');
    const step = await store.getStep(run.id, 'architecture');
    expect(step?.status).toBe('failed');
    expect(step?.quality?.passed).toBe(false);
    expect(step?.quality?.checks.find((c) => c.metric === 'openapiValid')).toMatchObject({
      actual: null,
      passed: false,
    });
    expect(step?.error).toMatch(/openapiValid was not measured/);
    expect((await store.getStep(run.id, 'gate:architecture'))?.status).toBe('pending');
  });

  it('escalates a soft requirements gate to a person even when the policy is auto', async () => {
    const executor = new RecordingExecutor({
      behaviours: {
        requirements_analyze: () => ({
          metrics: { ...PASSING_METRICS.requirements_analyze, sentenceCoverage: 0.5 },
        }),
      },
    });
    const { orchestrator, store } = await setup(executor);
    const run = await orchestrator.startRun({ requirement: REQUIREMENT, template: 'design', options: AUTO });
    expect((await orchestrator.drive(run.id)).status).toBe('waiting_approval');
    const gate = await store.getStep(run.id, 'gate:requirements');
    expect(gate?.status).toBe('waiting_approval');
    expect(gate?.error).toMatch(/sentenceCoverage = 0.5/);
  });

  it('retries a failed engine call with backoff and a new idempotency key per attempt', async () => {
    let failures = 1;
    const executor = new RecordingExecutor({
      behaviours: {
        code_generate: () => {
          if (failures-- > 0) throw new PowerAutoError('ENGINE_FAILED', 'engine crashed');
          return { metrics: {} };
        },
      },
    });
    const { orchestrator, store } = await setup(executor);
    const run = await orchestrator.startRun({ requirement: REQUIREMENT, template: 'prototype' });
    expect((await orchestrator.drive(run.id)).status).toBe('succeeded');
    expect(executor.keysFor('coding')).toEqual([`${run.id}:coding:1`, `${run.id}:coding:2`]);
    const attempts = (await store.getAttempts(run.id)).filter((a) => a.stepKey === 'coding');
    expect(attempts.map((a) => a.status)).toEqual(['failed', 'succeeded']);
  });

  it('does not retry a request the engine refused', async () => {
    const executor = new RecordingExecutor({
      behaviours: {
        code_generate: () => {
          throw new PowerAutoError('NOT_IMPLEMENTED', 'code_generate is not implemented');
        },
      },
    });
    const { orchestrator } = await setup(executor);
    const run = await orchestrator.startRun({ requirement: REQUIREMENT, template: 'prototype' });
    const done = await orchestrator.drive(run.id);
    expect(done.status).toBe('failed');
    expect(done.error).toMatch(/NOT_IMPLEMENTED/);
    expect(executor.keysFor('coding')).toHaveLength(1);
  });

  it('times out a hung step, retries it, and fails after the last attempt', async () => {
    const executor = new RecordingExecutor({
      behaviours: {
        code_generate: (_call, ctx) =>
          new Promise((_resolve, reject) =>
            ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)),
          ),
      },
    });
    const { orchestrator, store } = await setup(executor, {
      scheduler: { stepTimeoutMs: 100, maxAttempts: 2 },
    });
    const run = await orchestrator.startRun({ requirement: REQUIREMENT, template: 'prototype' });
    const done = await orchestrator.drive(run.id);
    expect(done.status).toBe('failed');
    expect(executor.keysFor('coding')).toHaveLength(2);
    expect((await store.getStep(run.id, 'coding'))?.error).toMatch(
      /TIMEOUT: step coding timed out after 100 ms/,
    );
  });

  it('cancels a run: the in-flight call is aborted and nothing further runs', async () => {
    let aborted = false;
    const executor = new RecordingExecutor({
      behaviours: {
        code_generate: (_call, ctx) =>
          new Promise((_resolve, reject) =>
            ctx.signal.addEventListener('abort', () => {
              aborted = true;
              reject(ctx.signal.reason);
            }),
          ),
      },
    });
    const { orchestrator, store } = await setup(executor);
    const run = await orchestrator.startRun({ requirement: REQUIREMENT, template: 'prototype' });
    const driving = orchestrator.drive(run.id);
    while (executor.keysFor('coding').length === 0) await new Promise((r) => setTimeout(r, 5));
    await orchestrator.cancel(run.id, 'alice');
    expect((await driving).status).toBe('cancelled');
    expect(aborted).toBe(true);
    expect(executor.keysFor('testing')).toHaveLength(0);
    expect((await store.getSteps(run.id)).map((s) => s.status)).toEqual([
      'succeeded',
      'cancelled',
      'cancelled',
    ]);
  });

  it('cancels a run waiting out a retry backoff at once', async () => {
    const executor = new RecordingExecutor({
      behaviours: {
        code_generate: () => {
          throw new PowerAutoError('ENGINE_FAILED', 'engine crashed');
        },
      },
    });
    const { orchestrator } = await setup(executor, {
      scheduler: { backoffBaseMs: 30_000, backoffMaxMs: 30_000 },
    });
    const run = await orchestrator.startRun({ requirement: REQUIREMENT, template: 'prototype' });
    const driving = orchestrator.drive(run.id);
    while (executor.keysFor('coding').length === 0) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 50));
    const cancelledAt = performance.now();
    await orchestrator.cancel(run.id, 'alice');
    expect((await driving).status).toBe('cancelled');
    expect(performance.now() - cancelledAt).toBeLessThan(5_000);
    expect(executor.keysFor('coding')).toHaveLength(1);
  });

  it('repairs failing tests through the fix loop', async () => {
    let testRuns = 0;
    const executor = new RecordingExecutor({
      behaviours: {
        test_run: () => {
          testRuns++;
          const failed = testRuns === 1 ? 1 : 0;
          return {
            tests: [
              { id: 'T1', status: failed ? 'failed' : 'passed', error: failed ? 'expected 201' : null },
            ],
            metrics: { ...PASSING_METRICS.test_run, testsFailed: failed },
          };
        },
        code_fix: () => ({ metrics: { fixed: 1 } }),
      },
    });
    const { orchestrator, store } = await setup(executor);
    const run = await orchestrator.startRun({ requirement: REQUIREMENT, template: 'prototype' });
    expect((await orchestrator.drive(run.id)).status).toBe('succeeded');
    expect(executor.calls.map((c) => c.stepKey)).toEqual([
      'requirements',
      'coding',
      'testing',
      'fix-1',
      'testing',
    ]);
    expect(executor.calls.find((c) => c.stepKey === 'fix-1')?.input.testReport).toMatchObject({
      tests: [{ id: 'T1' }],
    });
    expect((await store.getSteps(run.id)).map((s) => [s.key, s.status])).toContainEqual([
      'fix-1',
      'succeeded',
    ]);
  });

  it('stops the fix loop early when the same failure repeats, leaving the run to a person', async () => {
    const executor = new RecordingExecutor({
      behaviours: {
        test_run: () => ({
          tests: [{ id: 'T1', status: 'failed', error: 'expected 201, got 500' }],
          metrics: { ...PASSING_METRICS.test_run, testsFailed: 1 },
        }),
        code_fix: () => ({ metrics: { fixed: 1 } }),
      },
    });
    const { orchestrator, store } = await setup(executor);
    const run = await orchestrator.startRun({
      requirement: REQUIREMENT,
      template: 'prototype',
      options: { maxFixRounds: 3 },
    });
    expect((await orchestrator.drive(run.id)).status).toBe('waiting_approval');
    expect(executor.keysFor('fix-1')).toHaveLength(1);
    expect(executor.keysFor('fix-2')).toHaveLength(0);
    const testing = await store.getStep(run.id, 'testing');
    expect(testing?.status).toBe('waiting_approval');
    expect(testing?.error).toMatch(/same failure repeated/);

    // The person sends it back to coding with feedback: the fix round is set aside.
    await orchestrator.reject(run.id, 'testing', { actor: 'rev', feedback: 'return 201 on create' });
    expect((await store.getStep(run.id, 'fix-1'))?.status).toBe('skipped');
    expect((await store.getStep(run.id, 'coding'))?.feedback).toBe('return 201 on create');
  });

  it('delivers events from a sequence number without a gap, then live', async () => {
    const executor = new RecordingExecutor({ delayMs: 20 });
    const { orchestrator } = await setup(executor);
    const run = await orchestrator.startRun({ requirement: REQUIREMENT, template: 'prototype' });
    const driving = orchestrator.drive(run.id);
    await new Promise((r) => setTimeout(r, 30));
    const seen: RunEvent[] = [];
    const stop = await orchestrator.watch(run.id, 2, (e) => seen.push(e));
    await driving;
    stop();
    expect(seen[0]?.seq).toBe(3);
    expect(seen.map((e) => e.seq)).toEqual(seen.map((_, i) => i + 3));
    expect(seen.at(-1)?.type).toBe('run.status');
  });

  it('puts the workspace where the run names it, and never over existing files', async () => {
    const { orchestrator, home } = await setup(new RecordingExecutor());
    const chosen = join(home, 'my-service');
    const run = await orchestrator.startRun({
      requirement: REQUIREMENT,
      template: 'prototype',
      workspace: chosen,
    });
    await orchestrator.drive(run.id);
    expect((await orchestrator.getRunView(run.id)).project.workspacePath).toBe(chosen);
    expect(existsSync(join(chosen, '.git'))).toBe(true);
    expect(existsSync(join(chosen, 'stages', 'coding.txt'))).toBe(true);
    await expect(
      orchestrator.startRun({ requirement: REQUIREMENT, template: 'prototype', workspace: chosen }),
    ).rejects.toThrow(/workspace folder .*my-service is not empty/);
  });

  it('refuses bad input with clear errors', async () => {
    const { orchestrator } = await setup(new RecordingExecutor());
    await expect(orchestrator.startRun({ requirement: '   ' })).rejects.toThrow('the requirement is empty');
    await expect(orchestrator.startRun({ requirement: 'a\0b' })).rejects.toThrow(/binary data/);
    await expect(orchestrator.startRun({ requirement: Buffer.from([0xff, 0xfe, 0x00]) })).rejects.toThrow(
      /not UTF-8/,
    );
    await expect(orchestrator.startRun({ requirement: 'x'.repeat(2_000_000) })).rejects.toThrow(
      /is 1.9 MB; the limit is 98 KB/,
    );
    await expect(orchestrator.getRun('run_nope')).rejects.toThrow('run not found: run_nope');
    await expect(orchestrator.rollback('run_nope', 'requirements')).rejects.toThrow(/not found/);
  });
  describe('a run changed while its steps are in flight', () => {
    /** `test_plan` is refused once; `architecture` runs until the test lets it finish. */
    function blockedArchitecture() {
      let finish: () => void = () => {};
      const finished = new Promise<void>((resolve) => {
        finish = resolve;
      });
      let refused = false;
      const executor = new RecordingExecutor({
        behaviours: {
          architecture_test_plan: () => {
            if (refused) return { metrics: PASSING_METRICS.architecture_test_plan ?? {} };
            refused = true;
            throw new PowerAutoError('BAD_INPUT', 'refused once');
          },
          architecture_design: async () => {
            await finished;
            return { metrics: PASSING_METRICS.architecture_design ?? {} };
          },
        },
      });
      return { executor, finish };
    }

    it('dispatches a step resumed in this process at once, while another is still running', async () => {
      const { executor, finish } = blockedArchitecture();
      const { orchestrator, store } = await setup(executor);
      const run = await orchestrator.startRun({ requirement: REQUIREMENT, template: 'full', options: AUTO });
      const driving = orchestrator.drive(run.id);
      await vi.waitFor(async () => expect((await store.getStep(run.id, 'test_plan'))?.status).toBe('failed'));

      try {
        void orchestrator.resume(run.id);
        // The loop was woken: test_plan runs again before architecture has finished.
        await vi.waitFor(() => expect(executor.keysFor('test_plan')).toHaveLength(2), { timeout: 3_000 });
        expect((await store.getStep(run.id, 'architecture'))?.status).toBe('running');
      } finally {
        finish();
      }
      expect((await driving).status).toBe('succeeded');
    });

    it('sees a change another process made before it stops, instead of settling on an old view', async () => {
      const { executor, finish } = blockedArchitecture();
      const { orchestrator, store, home } = await setup(executor);
      const run = await orchestrator.startRun({ requirement: REQUIREMENT, template: 'full', options: AUTO });
      const driving = orchestrator.drive(run.id);
      await vi.waitFor(async () => expect((await store.getStep(run.id, 'test_plan'))?.status).toBe('failed'));

      // Another process (the CLI beside a server) resumes the run: it records the move, but cannot
      // drive a run this process holds, and nothing here is told.
      const otherStore = new Store(await openSqliteDb(join(home, 'powerauto.db')));
      const other = new Orchestrator({
        store: otherStore,
        executor,
        config: OrchestratorConfig.parse({}),
        home,
      });
      await expect(other.resume(run.id)).rejects.toThrow(/being driven by another process/);
      await other.close();
      await otherStore.close();
      expect((await store.getStep(run.id, 'test_plan'))?.status).toBe('ready');

      finish();
      expect((await driving).status).toBe('succeeded');
      expect(executor.keysFor('test_plan')).toHaveLength(2);
    });
  });
});
