import type { EventBus } from '../bus/bus.js';
import type { Run, RunStatus, Step, StepStatus } from '../contracts/models.js';
import type { PendingEvent, StepPatch, Store, TransactionBody, Tx } from '../store/store.js';
import { assertRunMove, assertStepMove } from './state-machine.js';

/** Moves a step through the transition table and appends its event, inside the caller's transaction. */
export async function moveStep(
  store: Store,
  tx: Tx,
  events: PendingEvent[],
  step: Step,
  to: StepStatus,
  patch: StepPatch = {},
): Promise<void> {
  assertStepMove(step.key, step.status, to);
  const attempt = patch.attempt ?? step.attempt;
  await store.updateStep(tx, step.runId, step.key, { ...patch, status: to });
  store.appendEvent(events, step.runId, 'step.status', {
    step: step.key,
    from: step.status,
    to,
    attempt,
    error: patch.error ?? null,
  });
  Object.assign(step, patch, { status: to });
}

export async function moveRun(
  store: Store,
  tx: Tx,
  events: PendingEvent[],
  run: Run,
  to: RunStatus,
  error: string | null = null,
): Promise<void> {
  if (run.status === to && run.error === error) return;
  assertRunMove(run.id, run.status, to);
  await store.setRunStatus(tx, run.id, to, error);
  store.appendEvent(events, run.id, 'run.status', { from: run.status, to, error });
  run.status = to;
  run.error = error;
}

/** Commits `fn` in one transaction, then publishes the events it appended: never before commit. */
export async function commitAndPublish<T>(store: Store, bus: EventBus, fn: TransactionBody<T>): Promise<T> {
  const { result, events } = await store.transaction(fn);
  bus.publish(events);
  return result;
}
