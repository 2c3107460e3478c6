import { IllegalTransitionError } from '../contracts/errors.js';
import type { RunStatus, StepStatus } from '../contracts/models.js';

/**
 * The one table of allowed step moves (DESIGN.md section 4). Anything else is a bug and throws.
 * `succeeded | failed | cancelled | skipped -> pending` is the reset used by rejection and rollback.
 */
export const STEP_TRANSITIONS: Readonly<Record<StepStatus, readonly StepStatus[]>> = {
  pending: ['ready', 'skipped', 'cancelled'],
  ready: ['running', 'pending', 'cancelled', 'skipped'],
  running: ['succeeded', 'failed', 'waiting_approval', 'cancelled'],
  waiting_approval: ['succeeded', 'pending', 'cancelled'],
  failed: ['ready', 'pending', 'cancelled'],
  succeeded: ['pending'],
  cancelled: ['pending'],
  skipped: ['pending'],
};

export const RUN_TRANSITIONS: Readonly<Record<RunStatus, readonly RunStatus[]>> = {
  created: ['running', 'cancelled'],
  running: ['waiting_approval', 'paused', 'succeeded', 'failed', 'cancelled'],
  waiting_approval: ['running', 'cancelled', 'failed'],
  paused: ['running', 'cancelled'],
  succeeded: ['running'],
  failed: ['running', 'cancelled'],
  cancelled: [],
};

export const TERMINAL_STEP_STATES: readonly StepStatus[] = ['succeeded', 'skipped'];

export function canMoveStep(from: StepStatus, to: StepStatus): boolean {
  return STEP_TRANSITIONS[from].includes(to);
}

export function assertStepMove(stepKey: string, from: StepStatus, to: StepStatus): void {
  if (!canMoveStep(from, to)) throw new IllegalTransitionError(`step ${stepKey}`, from, to);
}

export function assertRunMove(runId: string, from: RunStatus, to: RunStatus): void {
  if (from === to) return;
  if (!RUN_TRANSITIONS[from].includes(to)) throw new IllegalTransitionError(`run ${runId}`, from, to);
}
