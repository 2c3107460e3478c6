import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../../test/helpers/orchestrator-harness.js';
import { PASSING_METRICS, RecordingExecutor } from '../../test/helpers/recording-executor.js';
import { PowerAutoError } from '../contracts/errors.js';
import { StepStatus } from '../contracts/models.js';
import { assertStepMove, canMoveStep, TERMINAL_STEP_STATES } from './state-machine.js';

const statuses = StepStatus.options;

describe('step state machine', () => {
  it('random move sequences only ever pass through states DESIGN.md allows', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...statuses), { maxLength: 60 }), (targets) => {
        let state: StepStatus = 'pending';
        const path: StepStatus[] = [state];
        for (const to of targets) {
          if (!canMoveStep(state, to)) {
            expect(() => assertStepMove('s', state, to)).toThrow(/illegal transition/);
            continue;
          }
          const from: StepStatus = state;
          state = to;
          path.push(state);
          // Running is entered only from ready; success only from running or an approval.
          if (to === 'running') expect(from).toBe('ready');
          if (to === 'succeeded') expect(['running', 'waiting_approval']).toContain(from);
          if (to === 'waiting_approval') expect(from).toBe('running');
          // A finished, cancelled or skipped step only moves by being reset to pending.
          if (['succeeded', 'cancelled', 'skipped'].includes(from)) expect(to).toBe('pending');
          // Retries go through ready, never straight back to running.
          if (from === 'failed') expect(['ready', 'pending', 'cancelled']).toContain(to);
        }
        expect(path.every((s) => statuses.includes(s))).toBe(true);
      }),
      { numRuns: 2_000 },
    );
  });
});

type Operation =
  | { kind: 'drive' }
  | { kind: 'approve' }
  | { kind: 'reject' }
  | { kind: 'resume' }
  | { kind: 'rollback'; to: 'requirements' | 'coding' }
  | { kind: 'cancel' };

const operation: fc.Arbitrary<Operation> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ kind: 'drive' } as const) },
  { weight: 3, arbitrary: fc.constant({ kind: 'approve' } as const) },
  { weight: 2, arbitrary: fc.constant({ kind: 'reject' } as const) },
  { weight: 1, arbitrary: fc.constant({ kind: 'resume' } as const) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('requirements', 'coding').map((to) => ({ kind: 'rollback', to }) as const),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'cancel' } as const) },
);

describe('orchestrator under random operations', () => {
  let harness: Harness;
  let outcomes: string[] = [];
  beforeAll(async () => {
    // Each call's outcome is drawn by the property: success, a transient crash, a refusal, or failing tests.
    const executor = new RecordingExecutor({
      behaviours: Object.fromEntries(
        [
          'requirements_analyze',
          'architecture_design',
          'architecture_test_plan',
          'code_generate',
          'test_run',
          'code_fix',
        ].map((tool) => [
          tool,
          () => {
            const outcome = outcomes.shift() ?? 'ok';
            if (outcome === 'crash') throw new PowerAutoError('ENGINE_FAILED', 'engine crashed');
            if (outcome === 'refuse') throw new PowerAutoError('BAD_INPUT', 'engine refused');
            if (outcome === 'failing' && tool === 'test_run') {
              return {
                tests: [{ id: 'T', status: 'failed', error: 'x' }],
                metrics: { ...PASSING_METRICS.test_run, testsFailed: 1 },
              };
            }
            return { metrics: { ...(PASSING_METRICS[tool] ?? {}), fixed: 1 } };
          },
        ]),
      ),
    });
    harness = await createHarness(executor, {
      scheduler: { backoffBaseMs: 0, backoffMaxMs: 0, maxAttempts: 2 },
    });
  });
  afterAll(() => harness.close());

  it('never makes an illegal move, and every finished step had its dependencies done', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('prototype', 'design', 'full' as const),
        fc.array(fc.constantFrom('ok', 'ok', 'ok', 'crash', 'refuse', 'failing'), { maxLength: 30 }),
        fc.array(operation, { minLength: 1, maxLength: 12 }),
        async (template, drawn, operations) => {
          outcomes = [...drawn];
          const { orchestrator, store } = harness;
          const run = await orchestrator.startRun({ requirement: 'A todo list service.', template });
          for (const op of operations) {
            try {
              if (op.kind === 'drive') await orchestrator.drive(run.id);
              else if (op.kind === 'approve') await orchestrator.approve(run.id, undefined, { actor: 'p' });
              else if (op.kind === 'reject')
                await orchestrator.reject(run.id, undefined, { actor: 'p', feedback: 'again' });
              else if (op.kind === 'resume') await orchestrator.resume(run.id);
              else if (op.kind === 'rollback') await orchestrator.rollback(run.id, op.to);
              else await orchestrator.cancel(run.id);
            } catch (err) {
              // Refusing an operation that does not apply now is fine; an illegal move is a bug.
              expect(err).toBeInstanceOf(PowerAutoError);
              expect((err as PowerAutoError).code, (err as Error).message).not.toBe('ILLEGAL_TRANSITION');
              expect(['CONFLICT', 'BAD_INPUT']).toContain((err as PowerAutoError).code);
            }
          }
          const steps = await store.getSteps(run.id);
          const final = await store.getRun(run.id);
          for (const step of steps) {
            expect(statuses).toContain(step.status);
            if (step.status === 'succeeded' && step.kind === 'tool') {
              for (const dep of step.dependsOn) {
                expect(TERMINAL_STEP_STATES).toContain(steps.find((s) => s.key === dep)?.status);
              }
            }
          }
          if (final?.status === 'succeeded')
            expect(steps.every((s) => TERMINAL_STEP_STATES.includes(s.status))).toBe(true);
          if (final?.status === 'waiting_approval')
            expect(steps.some((s) => s.status === 'waiting_approval')).toBe(true);
          const events = await store.eventsSince(run.id, 0);
          expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
        },
      ),
      { numRuns: 40 },
    );
  });
});
