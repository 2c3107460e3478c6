import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import PQueue from 'p-queue';
import type { EventBus } from '../bus/bus.js';
import type { OrchestratorConfig } from '../config/orchestrator.js';
import {
  ConflictError,
  errorCodesWith,
  errorMessage,
  NotFoundError,
  PowerAutoError,
} from '../contracts/errors.js';
import { idempotencyKey, type StepExecutor } from '../contracts/executor.js';
import type { Metrics, Run, Step } from '../contracts/models.js';
import {
  newId,
  now,
  type PendingEvent,
  type Store,
  type TransactionBody,
  type WriteTx,
} from '../store/store.js';
import type { WorkspaceStore } from '../workspace/workspace.js';
import { assertWithinBudget, usageOfFailure } from './budget.js';
import { recordOperations } from './operations.js';
import { describeFailures, evaluateQuality } from './quality.js';
import { TERMINAL_STEP_STATES } from './state-machine.js';
import { fixStep, type StepDefinition, stepDefinition, templateSteps } from './templates.js';
import { commitAndPublish, moveRun, moveStep } from './transitions.js';

export interface SchedulerDeps {
  store: Store;
  executor: StepExecutor;
  bus: EventBus;
  config: OrchestratorConfig;
  workspace: WorkspaceStore;
  workspaceOf(run: Run): Promise<string>;
}

/** Errors worth another attempt: the engine or its transport failed, not the request itself. */
const RETRYABLE: ReadonlySet<string> = new Set(errorCodesWith('retryable'));

/** The artifact file each completed step leaves in the workspace, committed with the stage. */
export function artifactPath(stepKey: string): string {
  return `.powerauto/artifacts/${stepKey.replace(/[^a-zA-Z0-9_-]/g, '_')}.json`;
}

/**
 * Drives runs: promotes steps whose dependencies are done, opens gates, dispatches tool steps
 * through the executor up to the concurrency limit, and records every result durably.
 */
export class Scheduler {
  readonly owner = `${hostname()}/${process.pid}/${newId('drv')}`;
  readonly #deps: SchedulerDeps;
  readonly #queue: PQueue;
  readonly #driving = new Map<string, Promise<Run>>();
  readonly #aborts = new Map<string, AbortController>();
  readonly #inflight = new Map<string, Map<string, Promise<void>>>();
  readonly #wakers = new Map<string, () => void>();
  /** Runs something outside the loop changed (a gate decided, a rollback): the next pass reads afresh. */
  readonly #stale = new Set<string>();
  /** Rows of steps whose attempt ended since the loop's last pass, by run and step key. */
  readonly #settled = new Map<string, Map<string, Step>>();
  /** A bookkeeping failure (database gone, a bug) inside a dispatched step; it ends the drive. */
  readonly #fatal = new Map<string, unknown>();

  constructor(deps: SchedulerDeps) {
    this.#deps = deps;
    this.#queue = new PQueue({ concurrency: deps.config.scheduler.concurrency });
  }

  get queueDepth(): number {
    return this.#queue.size;
  }

  isDriving(runId: string): boolean {
    return this.#driving.has(runId);
  }

  /** Carries a run forward until it finishes, waits for a person, or fails. One driver per run. */
  drive(runId: string): Promise<Run> {
    const current = this.#driving.get(runId);
    if (current !== undefined) {
      this.wake(runId);
      return current;
    }
    const driving = this.#drive(runId).finally(() => this.#driving.delete(runId));
    this.#driving.set(runId, driving);
    return driving;
  }

  wake(runId: string): void {
    this.#stale.add(runId);
    this.#wakers.get(runId)?.();
  }

  /** Aborts the run's in-flight calls; the caller has already recorded the cancellation. */
  abort(runId: string): void {
    this.#aborts.get(runId)?.abort(new PowerAutoError('CANCELLED', `run ${runId} was cancelled`));
    // A loop sleeping through a retry backoff must notice now, not when the backoff ends.
    this.wake(runId);
  }

  async close(): Promise<void> {
    for (const controller of this.#aborts.values()) {
      controller.abort(new PowerAutoError('CANCELLED', 'the orchestrator is shutting down'));
    }
    await Promise.allSettled([...this.#driving.values()]);
  }

  async #drive(runId: string): Promise<Run> {
    const { store, config } = this.#deps;
    const claimed = await store.claimLease(runId, this.owner, config.scheduler.leaseTtlMs, isOwnerDead);
    if (!claimed) throw new ConflictError(`run ${runId} is being driven by another process`);
    const renew = setInterval(
      () =>
        void store.claimLease(runId, this.owner, config.scheduler.leaseTtlMs, isOwnerDead).catch(() => {}),
      Math.max(1_000, config.scheduler.leaseTtlMs / 3),
    );
    renew.unref();
    const controller = new AbortController();
    this.#aborts.set(runId, controller);
    this.#inflight.set(runId, new Map());
    this.#settled.set(runId, new Map());
    try {
      const run = await this.#loadRun(runId);
      if (run.status !== 'cancelled') {
        await this.#commit(async (tx, events) => moveRun(store, tx, events, run, 'running'));
        await this.#loop(run, controller.signal);
      }
      return await this.#settle(runId);
    } finally {
      await Promise.allSettled([...(this.#inflight.get(runId)?.values() ?? [])]);
      clearInterval(renew);
      this.#aborts.delete(runId);
      this.#inflight.delete(runId);
      this.#wakers.delete(runId);
      this.#stale.delete(runId);
      this.#settled.delete(runId);
      this.#fatal.delete(runId);
      await store.releaseLease(runId, this.owner).catch(() => {});
    }
  }

  async #loop(run: Run, signal: AbortSignal): Promise<void> {
    const inflight = this.#inflight.get(run.id)!;
    // The loop works from one snapshot of the steps: its own transitions update the snapshot's
    // objects, and an attempt that ends hands over its step's new row (#settledRow). It reads afresh
    // when woken from outside, after a fix round adds steps, and before it stops.
    const settled = this.#settled.get(run.id)!;
    let snapshot: Step[] | undefined;
    while (!signal.aborted) {
      if (this.#fatal.has(run.id)) throw this.#fatal.get(run.id);
      if (this.#stale.delete(run.id)) snapshot = undefined;
      const fresh = snapshot === undefined;
      if (snapshot === undefined) {
        settled.clear();
        snapshot = await this.#deps.store.getSteps(run.id);
      }
      const steps = snapshot;
      // Also after a fresh read: an attempt may have ended while it was under way.
      for (const step of steps) {
        const row = settled.get(step.key);
        if (row !== undefined) Object.assign(step, row);
      }
      settled.clear();
      const byKey = new Map(steps.map((s) => [s.key, s]));
      let changed = false;

      for (const step of steps) {
        const def = this.#definition(run, step.key);
        if (step.status === 'failed' && def.fixLoop !== undefined && step.quality?.passed === false) {
          if (def.fixLoop.rerun.some((k) => byKey.get(k)?.status === 'running' || inflight.has(k))) continue;
          await this.#startFixRound(run, steps, def);
          changed = true;
          break;
        }
      }
      if (changed) {
        snapshot = undefined;
        continue;
      }

      // One transaction for every promotion and gate this pass can decide. moveStep keeps the
      // snapshot current, so steps an auto-approved gate unblocks are promoted in the same round.
      if (decidable(steps, byKey) !== undefined) {
        await this.#commit(async (tx, events) => {
          for (let next = decidable(steps, byKey); next !== undefined; next = decidable(steps, byKey)) {
            for (const step of next.promotable) await moveStep(this.#deps.store, tx, events, step, 'ready');
            for (const gate of next.gates) await this.#openGate(tx, events, run, gate, byKey);
          }
        });
      }

      let nextWake = Number.POSITIVE_INFINITY;
      for (const step of steps) {
        if (step.kind !== 'tool' || inflight.has(step.key)) continue;
        if (step.status === 'running') {
          // Running but not ours: the previous driver died mid-call. Same attempt, same key.
          this.#dispatch(run, step, true, signal, steps);
        } else if (step.status === 'ready') {
          const due = step.notBefore === null ? 0 : Date.parse(step.notBefore);
          if (due <= Date.now()) this.#dispatch(run, step, false, signal, steps);
          else nextWake = Math.min(nextWake, due);
        }
      }

      if (inflight.size === 0) {
        if (!Number.isFinite(nextWake)) {
          // Nothing left to do by the snapshot: make sure by the database before stopping.
          if (fresh) return;
          snapshot = undefined;
          continue;
        }
        await this.#waitForWake(run.id, [sleep(Math.max(0, nextWake - Date.now()))]);
        continue;
      }
      await this.#waitForWake(run.id, [...inflight.values()]);
    }
  }

  #waitForWake(runId: string, promises: Promise<unknown>[]): Promise<void> {
    return new Promise<void>((resolve) => {
      this.#wakers.set(runId, resolve);
      void Promise.race(promises).then(
        () => resolve(),
        () => resolve(),
      );
    });
  }

  /** `steps` is the pass's snapshot: every step this one depends on is done in it, artifact and all. */
  #dispatch(run: Run, step: Step, redispatch: boolean, signal: AbortSignal, steps: Step[]): void {
    const inflight = this.#inflight.get(run.id)!;
    const task = this.#queue
      .add(() => this.#execute(run, step, redispatch, signal, steps))
      .catch((err: unknown) => {
        // Re-dispatching after a failed write would loop forever; stop and say why.
        if (!this.#fatal.has(run.id)) this.#fatal.set(run.id, err);
      })
      .finally(() => inflight.delete(step.key));
    inflight.set(step.key, task);
  }

  async #execute(
    run: Run,
    step: Step,
    redispatch: boolean,
    runSignal: AbortSignal,
    steps: Step[],
  ): Promise<void> {
    if (runSignal.aborted) return;
    const { store, executor, config } = this.#deps;
    const def = this.#definition(run, step.key);
    const attempt = redispatch ? step.attempt : step.attempt + 1;
    const key = idempotencyKey(run.id, step.key, attempt);
    if (!redispatch) {
      await this.#commit(async (tx, events) => {
        await moveStep(store, tx, events, step, 'running', {
          attempt,
          startedAt: now(),
          finishedAt: null,
          error: null,
          notBefore: null,
        });
        await store.insertAttempt(tx, {
          runId: run.id,
          stepKey: step.key,
          attempt,
          idempotencyKey: key,
          status: 'running',
          error: null,
          startedAt: now(),
          finishedAt: null,
        });
      });
    }

    // One signal per attempt, ended with it: AbortSignal.timeout would hold its timer for the whole
    // stepTimeoutMs (15 minutes by default) after the step finished.
    const attemptAbort = new AbortController();
    const onRunAbort = () => attemptAbort.abort(runSignal.reason);
    runSignal.addEventListener('abort', onRunAbort, { once: true });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      attemptAbort.abort(
        new PowerAutoError(
          'TIMEOUT',
          `step ${step.key} timed out after ${config.scheduler.stepTimeoutMs} ms`,
        ),
      );
    }, config.scheduler.stepTimeoutMs);
    timer.unref();
    const signal = attemptAbort.signal;
    let output: Record<string, unknown>;
    try {
      await assertWithinBudget(store, config.budgets, run.id);
      const workspace = await this.#deps.workspaceOf(run);
      const input = await this.#buildInput(run, step, def, workspace, steps);
      output = await executor.callTool(
        {
          role: def.role!,
          tool: def.tool!,
          input,
          runId: run.id,
          stepKey: step.key,
          attempt,
          idempotencyKey: key,
        },
        {
          signal,
          onProgress: (p) =>
            void this.#commit(async (_tx, events) =>
              store.appendEvent(events, run.id, 'step.progress', { step: step.key, attempt, ...p }),
            ).catch(() => {}),
        },
      );
      await this.#complete(run, step, def, attempt, output, workspace);
    } catch (err) {
      const reason = timedOut && !runSignal.aborted ? attemptAbort.signal.reason : err;
      await this.#fail(run, step, attempt, reason, runSignal.aborted);
    } finally {
      clearTimeout(timer);
      runSignal.removeEventListener('abort', onRunAbort);
    }
  }

  async #buildInput(
    run: Run,
    step: Step,
    def: StepDefinition,
    workspace: string,
    steps: Step[],
  ): Promise<Record<string, unknown>> {
    const { store } = this.#deps;
    const input = await def.input?.({
      requirement: run.requirement,
      workspace,
      feedback: step.feedback ?? undefined,
      artifact: async (key) => {
        const artifactId = steps.find((s) => s.key === key)?.artifactId ?? null;
        if (artifactId === null) return undefined;
        return (await store.getArtifact(artifactId))?.content as Record<string, unknown> | undefined;
      },
    });
    // Drop undefined members so the wire payload holds only what the contract expects. Artifacts
    // come parsed from JSON, so the top level is the only place one can be.
    return Object.fromEntries(Object.entries(input ?? {}).filter(([, value]) => value !== undefined));
  }

  async #complete(
    run: Run,
    step: Step,
    def: StepDefinition,
    attempt: number,
    output: Record<string, unknown>,
    workspace: string,
  ): Promise<void> {
    const { store, config } = this.#deps;
    const metrics = readMetrics(output);
    const checks = config.quality[def.qualityGate ?? def.key];
    const quality =
      checks === undefined ? null : evaluateQuality(def.qualityGate ?? def.key, checks, metrics);

    const commit = await this.#deps.workspace.commit(
      workspace,
      `${step.key}: run ${run.id} step ${step.key} attempt ${attempt}`,
      [{ path: artifactPath(step.key), content: `${JSON.stringify(output, null, 2)}\n` }],
    );

    const reviewedByGate = templateSteps(run.template).some((s) => s.reviews === step.key);
    let to: 'succeeded' | 'failed' | 'waiting_approval' = 'succeeded';
    let error: string | null = null;
    if (quality !== null && !quality.passed) {
      error = `quality gate ${quality.gate} failed: ${describeFailures(quality)}`;
      if (quality.escalate) {
        to = reviewedByGate ? 'succeeded' : 'waiting_approval';
      } else if (def.fixLoop !== undefined) {
        const stop = await this.#fixLoopStop(run, await store.getSteps(run.id), step, output);
        to = stop === null ? 'failed' : 'waiting_approval';
        if (stop !== null) error = `${error}. ${stop}`;
      } else {
        to = 'failed';
      }
    }

    const ended = await this.#commit(async (tx, events) => {
      const current = await store.getStep(run.id, step.key, tx);
      if (current === undefined || current.status !== 'running' || current.attempt !== attempt) {
        await store.finishAttempt(
          tx,
          run.id,
          step.key,
          attempt,
          'cancelled',
          'result arrived after the step moved on',
        );
        return current;
      }
      const { id, version } = await store.insertArtifact(tx, {
        runId: run.id,
        stepKey: step.key,
        kind: def.tool ?? step.key,
        content: output,
        workspaceCommit: commit,
      });
      store.appendEvent(events, run.id, 'artifact.created', {
        step: step.key,
        artifactId: id,
        kind: def.tool ?? step.key,
        version,
      });
      if (quality !== null) {
        store.appendEvent(events, run.id, 'quality.evaluated', {
          step: step.key,
          gate: quality.gate,
          passed: quality.passed,
        });
      }
      await recordOperations(store, tx, run.id, step.key, def.tool ?? '', output);
      await store.finishAttempt(tx, run.id, step.key, attempt, 'succeeded', null);
      const { escalate: _escalate, ...qualityResult } = quality ?? { escalate: false };
      await moveStep(store, tx, events, current, to, {
        artifactId: id,
        metrics,
        quality: quality === null ? null : (qualityResult as Step['quality']),
        workspaceCommit: commit,
        finishedAt: now(),
        error,
      });
      return current;
    });
    this.#settledRow(run.id, ended);
  }

  /** Null while the fix loop may go on; otherwise why it stops and hands the run to a person. */
  async #fixLoopStop(
    run: Run,
    steps: Step[],
    step: Step,
    output: Record<string, unknown>,
  ): Promise<string | null> {
    const rounds = steps.filter((s) => /^fix-\d+$/.test(s.key) && s.status !== 'skipped');
    if (rounds.length >= run.options.maxFixRounds) {
      return `The fix loop stopped after ${rounds.length} round(s) (maxFixRounds ${run.options.maxFixRounds}); a person must decide.`;
    }
    const lastFix = rounds.at(-1);
    if (
      lastFix?.status === 'succeeded' &&
      readMetrics((await this.#artifactOf(lastFix)) ?? {})?.fixed === 0
    ) {
      return `${lastFix.key} could not repair the failure; a person must decide.`;
    }
    if (rounds.length > 0 && step.artifactId !== null) {
      const previous = await this.#deps.store.getArtifact(step.artifactId);
      if (previous !== undefined && failureSignature(previous.content) === failureSignature(output)) {
        return 'The same failure repeated after a fix; the fix loop stopped early and a person must decide.';
      }
    }
    return null;
  }

  async #artifactOf(step: Step): Promise<Record<string, unknown> | undefined> {
    if (step.artifactId === null) return undefined;
    return (await this.#deps.store.getArtifact(step.artifactId))?.content as
      | Record<string, unknown>
      | undefined;
  }

  async #startFixRound(run: Run, steps: Step[], def: StepDefinition): Promise<void> {
    const { store } = this.#deps;
    const round = steps.filter((s) => /^fix-\d+$/.test(s.key)).length + 1;
    const fix = fixStep(round);
    await this.#commit(async (tx, events) => {
      await store.insertSteps(
        tx,
        run.id,
        [{ ...fix, maxAttempts: this.#deps.config.scheduler.maxAttempts }],
        // Fix rounds list after the template's steps, in round order.
        1_000 + round,
      );
      for (const key of def.fixLoop?.rerun ?? []) {
        const target = steps.find((s) => s.key === key);
        if (target === undefined || target.status === 'pending') continue;
        const base = this.#definition(run, key).dependsOn;
        await moveStep(store, tx, events, target, 'pending', { dependsOn: [...base, fix.key], error: null });
      }
    });
  }

  async #fail(run: Run, step: Step, attempt: number, err: unknown, cancelled: boolean): Promise<void> {
    const { store, config } = this.#deps;
    const message = errorMessage(err);
    const code = err instanceof PowerAutoError ? err.code : 'INTERNAL';
    // Model calls the failed attempt made were billed: kept with it for the budgets.
    const usage = usageOfFailure(err);
    const ended = await this.#commit(async (tx, events) => {
      const current = await store.getStep(run.id, step.key, tx);
      if (current === undefined || current.status !== 'running' || current.attempt !== attempt) {
        await store.finishAttempt(tx, run.id, step.key, attempt, 'cancelled', message, usage);
        return current;
      }
      if (cancelled) {
        await store.finishAttempt(tx, run.id, step.key, attempt, 'cancelled', message, usage);
        await moveStep(store, tx, events, current, 'cancelled', { error: message, finishedAt: now() });
        return current;
      }
      await store.finishAttempt(tx, run.id, step.key, attempt, 'failed', message, usage);
      await moveStep(store, tx, events, current, 'failed', {
        error: `${code}: ${message}`,
        finishedAt: now(),
      });
      if (RETRYABLE.has(code) && attempt < current.maxAttempts) {
        const { backoffBaseMs, backoffMaxMs } = config.scheduler;
        const delay = Math.min(backoffMaxMs, backoffBaseMs * 2 ** (attempt - 1));
        await moveStep(store, tx, events, current, 'ready', {
          notBefore: new Date(Date.now() + delay).toISOString(),
        });
      }
      return current;
    });
    this.#settledRow(run.id, ended);
  }

  /** Hands the loop a step's row as its attempt left it, so the loop need not read the steps again. */
  #settledRow(runId: string, row: Step | undefined): void {
    if (row !== undefined) this.#settled.get(runId)?.set(row.key, row);
  }

  async #openGate(
    tx: WriteTx,
    events: PendingEvent[],
    run: Run,
    step: Step,
    byKey: Map<string, Step>,
  ): Promise<void> {
    const { store, config } = this.#deps;
    const def = this.#definition(run, step.key);
    const gate = def.gate!;
    const policy = run.options.gatePolicies[gate] ?? config.gates[gate] ?? 'required';
    const reviewed = def.reviews === undefined ? undefined : byKey.get(def.reviews);
    const escalated = reviewed?.quality?.passed === false;
    await moveStep(store, tx, events, step, 'running', { attempt: step.attempt + 1, startedAt: now() });
    if (policy === 'required' || escalated) {
      const reason = escalated ? `${reviewed?.error ?? 'quality gate failed'}; a person must confirm` : null;
      await moveStep(store, tx, events, step, 'waiting_approval', { error: reason });
      return;
    }
    await store.insertApproval(tx, {
      id: newId('apr'),
      runId: run.id,
      stepKey: step.key,
      decision: 'approved',
      actor: 'policy:auto',
      comment: null,
      createdAt: now(),
    });
    await store.insertAudit(tx, {
      actor: 'policy:auto',
      action: 'gate.approve',
      target: `${run.id}/${step.key}`,
      // Whose choice skipped the review: the run's starter, or the config file (the operator's).
      detail: {
        policy,
        setBy: run.options.gatePolicies[gate] === 'auto' ? (run.options.autoApproval?.by ?? null) : 'config',
      },
    });
    store.appendEvent(events, run.id, 'gate.decided', {
      gate,
      decision: 'approved',
      actor: 'policy:auto',
    });
    await moveStep(store, tx, events, step, 'succeeded', { finishedAt: now() });
  }

  /** Decides the run's status from its steps once nothing more can move. */
  async #settle(runId: string): Promise<Run> {
    const { store } = this.#deps;
    const run = await this.#loadRun(runId);
    if (run.status === 'cancelled') return run;
    const steps = await store.getSteps(runId);
    const waiting = steps.find((s) => s.status === 'waiting_approval');
    const failed = steps.find((s) => s.status === 'failed');
    await this.#commit(async (tx, events) => {
      if (waiting !== undefined) await moveRun(store, tx, events, run, 'waiting_approval');
      else if (steps.every((s) => isDone(s))) await moveRun(store, tx, events, run, 'succeeded');
      else {
        const reason =
          failed === undefined
            ? 'no step can run'
            : `step ${failed.key} failed: ${failed.error ?? 'unknown error'}`;
        await moveRun(store, tx, events, run, 'failed', reason);
      }
    });
    return run;
  }

  async #loadRun(runId: string): Promise<Run> {
    const run = await this.#deps.store.getRun(runId);
    if (run === undefined) throw new NotFoundError('run', runId);
    return run;
  }

  #definition(run: Run, key: string): StepDefinition {
    const def = stepDefinition(run.template, key);
    if (def === undefined)
      throw new PowerAutoError('INTERNAL', `step ${key} is not in template ${run.template}`);
    return def;
  }

  #commit<T>(fn: TransactionBody<T>): Promise<T> {
    return commitAndPublish(this.#deps.store, this.#deps.bus, fn);
  }
}

/** Pending steps whose dependencies are done, and gates ready to open; undefined when there are none. */
function decidable(
  steps: Step[],
  byKey: Map<string, Step>,
): { promotable: Step[]; gates: Step[] } | undefined {
  const promotable = steps.filter(
    (s) => s.status === 'pending' && s.dependsOn.every((d) => isDone(byKey.get(d))),
  );
  const gates = steps.filter(
    (s) => s.kind === 'approval' && (s.status === 'ready' || promotable.includes(s)),
  );
  return promotable.length > 0 || gates.length > 0 ? { promotable, gates } : undefined;
}

function isDone(step: Step | undefined): boolean {
  return step !== undefined && TERMINAL_STEP_STATES.includes(step.status);
}

function readMetrics(output: Record<string, unknown>): Metrics | null {
  const metrics = output.metrics;
  if (typeof metrics !== 'object' || metrics === null) return null;
  return Object.fromEntries(Object.entries(metrics).filter(([, v]) => typeof v === 'number')) as Metrics;
}

/** What failed, independent of timings: the same signature twice means a fix changed nothing. */
export function failureSignature(report: unknown): string {
  const tests = (report as { tests?: { id?: string; status?: string; error?: string | null }[] }).tests ?? [];
  const failing = tests
    .filter((t) => t.status === 'failed')
    .map((t) => `${t.id}:${(t.error ?? '').replace(/\d+(\.\d+)?\s?ms/g, '')}`)
    .sort();
  const metrics = readMetrics(report as Record<string, unknown>) ?? {};
  return createHash('sha256')
    .update(JSON.stringify([failing, metrics.testsFailed, metrics.mustHavesWithoutPassingTest]))
    .digest('hex');
}

/** Owners are `host/pid/nonce`; on this host a vanished pid means the driver died. */
function isOwnerDead(owner: string): boolean {
  const [host, pid] = owner.split('/');
  if (host !== hostname() || pid === undefined) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
