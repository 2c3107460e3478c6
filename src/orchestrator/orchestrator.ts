import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { EventBus } from '../bus/bus.js';
import type { OrchestratorConfig } from '../config/orchestrator.js';
import { toolContract } from '../contracts/engines.js';
import {
  ArtifactInvalidError,
  BadInputError,
  ConflictError,
  errorMessage,
  NotFoundError,
} from '../contracts/errors.js';
import type { RunEvent } from '../contracts/events.js';
import type { StepExecutor } from '../contracts/executor.js';
import {
  type Approval,
  type Artifact,
  type AutoApproval,
  GateName,
  type Project,
  type Run,
  RunOptions,
  type Step,
  type StepAttempt,
  type TemplateName,
} from '../contracts/models.js';
import {
  newId,
  now,
  type PendingEvent,
  type Store,
  type TransactionBody,
  type WriteTx,
} from '../store/store.js';
import { gitWorkspaceStore, type WorkspaceStore } from '../workspace/workspace.js';
import { OperationsService } from './operations.js';
import { validateRequirement } from './requirement-input.js';
import { artifactPath, Scheduler } from './scheduler.js';
import { stepDefinition, templateSteps } from './templates.js';
import { commitAndPublish, moveRun, moveStep } from './transitions.js';

export interface OrchestratorDeps {
  store: Store;
  executor: StepExecutor;
  config: OrchestratorConfig;
  /** `$POWERAUTO_HOME`: project workspaces live under `workspaces/`. */
  home: string;
  bus?: EventBus;
  /** Default: a git repository per project. */
  workspace?: WorkspaceStore;
}

export interface StartRunRequest {
  requirement: string | Uint8Array;
  template?: TemplateName;
  projectId?: string;
  options?: Partial<RunOptions>;
  actor?: string;
  /** Where the new project's git workspace goes (a new or empty folder); default under the home. */
  workspace?: string;
}

export interface RunView {
  run: Run;
  project: Project;
  steps: Step[];
  attempts: StepAttempt[];
  approvals: Approval[];
}

export interface Decision {
  actor: string;
  comment?: string;
}

/** The Product Orchestrator: the one entry point the CLI, API and MCP server drive runs through. */
export class Orchestrator {
  readonly bus: EventBus;
  readonly store: Store;
  readonly config: OrchestratorConfig;
  /** Deployments, releases and monitoring: what runs where. */
  readonly operations: OperationsService;
  readonly #home: string;
  readonly #workspacePaths = new Map<string, string>();
  readonly #workspace: WorkspaceStore;
  readonly #scheduler: Scheduler;

  constructor(deps: OrchestratorDeps) {
    this.store = deps.store;
    this.config = deps.config;
    this.#home = deps.home;
    this.bus = deps.bus ?? new EventBus();
    this.#workspace = deps.workspace ?? gitWorkspaceStore;
    this.operations = new OperationsService(deps.store, deps.executor);
    this.#scheduler = new Scheduler({
      workspace: this.#workspace,
      store: deps.store,
      executor: deps.executor,
      bus: this.bus,
      config: deps.config,
      workspaceOf: async (run) => {
        // A project's workspace never moves; steps ask for it on every dispatch.
        let path = this.#workspacePaths.get(run.projectId);
        if (path === undefined) {
          path = (await this.#project(run.projectId)).workspacePath;
          this.#workspacePaths.set(run.projectId, path);
        }
        return path;
      },
    });
  }

  get queueDepth(): number {
    return this.#scheduler.queueDepth;
  }

  async createProject(name: string, actor = 'system', workspace?: string): Promise<Project> {
    const id = newId('prj');
    const project: Project = {
      id,
      name: name.slice(0, 120),
      workspacePath:
        workspace === undefined ? join(this.#home, 'workspaces', id) : await usableWorkspace(workspace),
      createdAt: now(),
    };
    await this.#workspace.init(project.workspacePath);
    await this.#commit(async (tx) => {
      await this.store.insertProject(tx, project);
      await this.store.insertAudit(tx, {
        actor,
        action: 'project.create',
        target: id,
        detail: { name: project.name },
      });
    });
    return project;
  }

  /** Records a new run and its steps; `drive` carries it on. */
  async startRun(request: StartRunRequest): Promise<Run> {
    const requirement = validateRequirement(request.requirement, this.config.maxRequirementBytes);
    const template = request.template ?? 'full';
    const parsedOptions = RunOptions.safeParse(request.options ?? {});
    if (!parsedOptions.success)
      throw new BadInputError(`invalid run options: ${parsedOptions.error.issues[0]?.message}`);
    const actor = request.actor ?? 'system';
    // A caller cannot name someone else as the one who turned the gates off.
    const { autoApproval: _claimed, ...options } = parsedOptions.data;
    const autoGates = GateName.options.filter((g) => options.gatePolicies[g] === 'auto');
    const autoApproval: AutoApproval | undefined =
      autoGates.length === 0 ? undefined : { by: actor, at: now(), gates: autoGates };
    const project =
      request.projectId === undefined
        ? await this.createProject(projectNameFrom(requirement), actor, request.workspace)
        : await this.#project(request.projectId);
    const run: Run = {
      id: newId('run'),
      projectId: project.id,
      template,
      status: 'created',
      requirement,
      options: autoApproval === undefined ? options : { ...options, autoApproval },
      error: null,
      createdAt: now(),
      updatedAt: now(),
    };
    await this.#commit(async (tx, events) => {
      await this.store.insertRun(tx, run);
      await this.store.insertSteps(
        tx,
        run.id,
        templateSteps(template).map((s) => ({
          key: s.key,
          kind: s.kind,
          role: s.role,
          tool: s.tool,
          dependsOn: s.dependsOn,
          maxAttempts: s.kind === 'tool' ? this.config.scheduler.maxAttempts : 1,
        })),
      );
      this.store.appendEvent(events, run.id, 'run.created', { template, projectId: project.id });
      await this.store.insertAudit(tx, { actor, action: 'run.create', target: run.id, detail: { template } });
      if (autoApproval !== undefined)
        await this.store.insertAudit(tx, {
          actor,
          action: 'run.gates_auto',
          target: run.id,
          detail: { gates: autoApproval.gates, gatePolicies: options.gatePolicies },
        });
    });
    return run;
  }

  drive(runId: string): Promise<Run> {
    return this.#scheduler.drive(runId);
  }

  /** Finds runs a previous process left running and drives each again; never rejects for one run. */
  async recover(): Promise<{ runId: string; status: Run['status'] | null; error: string | null }[]> {
    const runs = await this.store.listRuns({ statuses: ['running', 'created'] });
    const settled = await Promise.allSettled(runs.map((run) => this.drive(run.id)));
    return settled.map((result, i) => ({
      runId: runs[i]!.id,
      status: result.status === 'fulfilled' ? result.value.status : null,
      error: result.status === 'rejected' ? errorMessage(result.reason) : null,
    }));
  }

  /** Resumes a stopped run: failed steps get another attempt, then the run is driven on. */
  async resume(runId: string, actor = 'system'): Promise<Run> {
    const run = await this.getRun(runId);
    if (run.status === 'cancelled') throw new ConflictError(`run ${runId} was cancelled and cannot resume`);
    if (run.status === 'succeeded') return run;
    const steps = await this.store.getSteps(runId);
    await this.#commit(async (tx, events) => {
      for (const step of steps.filter((s) => s.status === 'failed' && s.quality?.passed !== false)) {
        await moveStep(this.store, tx, events, step, 'ready', { notBefore: null });
      }
      await this.store.insertAudit(tx, { actor, action: 'run.resume', target: runId, detail: null });
    });
    return this.drive(runId);
  }

  async approve(
    runId: string,
    gate: string | undefined,
    decision: Decision & { edited?: unknown },
  ): Promise<Approval> {
    const { run, step } = await this.#waitingStep(runId, gate);
    const def = stepDefinition(run.template, step.key);
    const reviewedKey = def?.reviews ?? step.key;
    const edited =
      decision.edited === undefined ? undefined : await this.#validateEdit(run, reviewedKey, decision.edited);
    const approval: Approval = {
      id: newId('apr'),
      runId,
      stepKey: step.key,
      decision: edited === undefined ? 'approved' : 'edited',
      actor: decision.actor,
      comment: decision.comment ?? null,
      createdAt: now(),
    };
    const commit =
      edited === undefined ? null : await this.#commitEdit(run, reviewedKey, edited, decision.actor);
    await this.#commit(async (tx, events) => {
      await this.#assertStillWaiting(tx, runId, step.key);
      if (edited !== undefined) {
        const reviewed = await this.store.getStep(runId, reviewedKey, tx);
        const { id, version } = await this.store.insertArtifact(tx, {
          runId,
          stepKey: reviewedKey,
          kind: reviewed?.tool ?? reviewedKey,
          content: edited,
          workspaceCommit: commit,
        });
        await this.store.updateStep(tx, runId, reviewedKey, { artifactId: id, workspaceCommit: commit });
        this.store.appendEvent(events, runId, 'artifact.created', {
          step: reviewedKey,
          artifactId: id,
          kind: reviewed?.tool ?? reviewedKey,
          version,
        });
      }
      await this.store.insertApproval(tx, approval);
      await this.store.insertAudit(tx, {
        actor: decision.actor,
        action: edited === undefined ? 'gate.approve' : 'gate.edit_and_approve',
        target: `${runId}/${step.key}`,
        detail: { comment: approval.comment },
      });
      this.store.appendEvent(events, runId, 'gate.decided', {
        gate: def?.gate ?? step.key,
        decision: approval.decision,
        actor: decision.actor,
      });
      await moveStep(this.store, tx, events, step, 'succeeded', { finishedAt: now() });
      await moveRun(this.store, tx, events, run, 'running');
    });
    return approval;
  }

  /** Rejects with feedback: the reviewed step re-runs with the feedback in its input. */
  async reject(
    runId: string,
    gate: string | undefined,
    decision: Decision & { feedback: string },
  ): Promise<Approval> {
    const feedback = decision.feedback.trim();
    if (feedback.length === 0) throw new BadInputError('rejecting needs feedback: say what to change');
    const { run, step } = await this.#waitingStep(runId, gate);
    const def = stepDefinition(run.template, step.key);
    const target = def?.kind === 'approval' ? def.reviews! : (def?.rerunOnReject ?? step.key);
    const approval: Approval = {
      id: newId('apr'),
      runId,
      stepKey: step.key,
      decision: 'rejected',
      actor: decision.actor,
      comment: feedback,
      createdAt: now(),
    };
    await this.#commit(async (tx, events) => {
      await this.#assertStillWaiting(tx, runId, step.key);
      await this.store.insertApproval(tx, approval);
      await this.store.insertAudit(tx, {
        actor: decision.actor,
        action: 'gate.reject',
        target: `${runId}/${step.key}`,
        detail: { feedback },
      });
      this.store.appendEvent(events, runId, 'gate.decided', {
        gate: def?.gate ?? step.key,
        decision: 'rejected',
        actor: decision.actor,
      });
      await this.#resetFrom(tx, events, run, target, { includeTarget: true, feedback });
      await moveRun(this.store, tx, events, run, 'running');
    });
    return approval;
  }

  /** Resets the workspace to a finished stage's commit and re-runs everything after it. */
  async rollback(runId: string, toStep: string, actor = 'system'): Promise<Run> {
    const run = await this.getRun(runId);
    if (run.status === 'cancelled')
      throw new ConflictError(`run ${runId} was cancelled; start a new run instead`);
    if (this.#scheduler.isDriving(runId))
      throw new ConflictError(`run ${runId} is running; stop it before a rollback`);
    const step = await this.store.getStep(runId, toStep);
    if (step === undefined) {
      const keys = (await this.store.getSteps(runId)).map((s) => s.key).join(', ');
      throw new BadInputError(`run ${runId} has no stage ${toStep} (stages: ${keys})`);
    }
    if (step.status !== 'succeeded' || step.workspaceCommit === null) {
      throw new ConflictError(`stage ${toStep} has not finished, so there is nothing to roll back to`);
    }
    const project = await this.#project(run.projectId);
    await this.#workspace.reset(project.workspacePath, step.workspaceCommit);
    await this.#commit(async (tx, events) => {
      await this.#resetFrom(tx, events, run, toStep, { includeTarget: false });
      this.store.appendEvent(events, runId, 'run.rolled_back', {
        to: toStep,
        commit: step.workspaceCommit,
      });
      await this.store.insertAudit(tx, {
        actor,
        action: 'run.rollback',
        target: runId,
        detail: { to: toStep },
      });
      await moveRun(this.store, tx, events, run, 'running');
    });
    return run;
  }

  async cancel(runId: string, actor = 'system'): Promise<Run> {
    const run = await this.getRun(runId);
    if (run.status === 'cancelled' || run.status === 'succeeded') return run;
    await this.#commit(async (tx, events) => {
      for (const step of await this.store.getSteps(runId, tx)) {
        if (['pending', 'ready', 'running', 'waiting_approval', 'failed'].includes(step.status)) {
          await moveStep(this.store, tx, events, step, 'cancelled', { finishedAt: now() });
        }
      }
      await this.store.insertAudit(tx, { actor, action: 'run.cancel', target: runId, detail: null });
      await moveRun(this.store, tx, events, run, 'cancelled');
    });
    this.#scheduler.abort(runId);
    return run;
  }

  async getRun(runId: string): Promise<Run> {
    const run = await this.store.getRun(runId);
    if (run === undefined) throw new NotFoundError('run', runId);
    return run;
  }

  listRuns(filter: Parameters<Store['listRuns']>[0] = {}): Promise<Run[]> {
    return this.store.listRuns(filter);
  }

  /** The run's latest event sequence number: watch from here to see only what happens next. */
  async lastEventSeq(runId: string): Promise<number> {
    await this.getRun(runId);
    return this.store.lastEventSeq(runId);
  }

  async getRunView(runId: string): Promise<RunView> {
    const run = await this.getRun(runId);
    const [project, steps, attempts, approvals] = await Promise.all([
      this.#project(run.projectId),
      this.store.getSteps(runId),
      this.store.getAttempts(runId),
      this.store.listApprovals(runId),
    ]);
    return { run, project, steps, attempts, approvals };
  }

  /** Steps waiting for a person, with the artifact under review. */
  async pendingApprovals(
    runId?: string,
  ): Promise<{ run: Run; step: Step; artifact: Artifact | undefined }[]> {
    const runs =
      runId === undefined
        ? await this.store.listRuns({ statuses: ['waiting_approval'] })
        : [await this.getRun(runId)];
    const pending: { run: Run; step: Step; artifact: Artifact | undefined }[] = [];
    for (const run of runs) {
      for (const step of await this.store.getSteps(run.id)) {
        if (step.status !== 'waiting_approval') continue;
        const reviewedKey = stepDefinition(run.template, step.key)?.reviews ?? step.key;
        const reviewed = await this.store.getStep(run.id, reviewedKey);
        const artifact = reviewed?.artifactId ? await this.store.getArtifact(reviewed.artifactId) : undefined;
        pending.push({ run, step, artifact });
      }
    }
    return pending;
  }

  async getArtifact(runId: string, stepKey: string): Promise<Artifact> {
    const step = await this.store.getStep(runId, stepKey);
    const artifact = step?.artifactId ? await this.store.getArtifact(step.artifactId) : undefined;
    if (artifact === undefined) throw new NotFoundError('artifact', `${runId}/${stepKey}`);
    return artifact;
  }

  /**
   * Delivers every event after `since`, then live ones, in order and without a gap: it listens
   * first, reads the history, and drops live duplicates by sequence number.
   */
  async watch(runId: string, since: number, listener: (event: RunEvent) => void): Promise<() => void> {
    await this.getRun(runId);
    let last = since;
    let buffering = true;
    const buffered: RunEvent[] = [];
    const deliver = (event: RunEvent) => {
      if (event.seq <= last) return;
      last = event.seq;
      listener(event);
    };
    const unsubscribe = this.bus.subscribe(runId, (event) =>
      buffering ? buffered.push(event) : deliver(event),
    );
    for (const event of await this.store.eventsSince(runId, since)) deliver(event);
    buffering = false;
    for (const event of buffered.sort((a, b) => a.seq - b.seq)) deliver(event);
    return unsubscribe;
  }

  async close(): Promise<void> {
    await this.#scheduler.close();
  }

  async #project(projectId: string): Promise<Project> {
    const project = await this.store.getProject(projectId);
    if (project === undefined) throw new NotFoundError('project', projectId);
    return project;
  }

  async #waitingStep(runId: string, gate: string | undefined): Promise<{ run: Run; step: Step }> {
    const run = await this.getRun(runId);
    const steps = await this.store.getSteps(runId);
    const waiting = steps.filter((s) => s.status === 'waiting_approval');
    if (gate === undefined) {
      if (waiting.length === 1) return { run, step: waiting[0]! };
      if (waiting.length === 0)
        throw new ConflictError(`run ${runId} is not waiting at any gate (status ${run.status})`);
      throw new BadInputError(
        `run ${runId} waits at ${waiting.map((s) => s.key).join(', ')}; name one with --gate`,
      );
    }
    // A gate name wins over a tool step of the same name (`requirements` is both).
    const key = steps.some((s) => s.key === `gate:${gate}`) ? `gate:${gate}` : gate;
    const step = steps.find((s) => s.key === key);
    if (step === undefined) {
      const gates = steps.filter((s) => s.kind === 'approval').map((s) => s.key.replace('gate:', ''));
      throw new BadInputError(`run ${runId} has no gate ${gate} (gates: ${gates.join(', ') || 'none'})`);
    }
    if (step.status !== 'waiting_approval') {
      throw new ConflictError(
        `gate ${gate} of run ${runId} is not waiting for a decision (it is ${step.status})`,
      );
    }
    return { run, step };
  }

  async #assertStillWaiting(tx: WriteTx, runId: string, key: string): Promise<void> {
    const current = await this.store.getStep(runId, key, tx);
    if (current?.status !== 'waiting_approval')
      throw new ConflictError(`${key} of run ${runId} was decided meanwhile`);
  }

  async #validateEdit(run: Run, reviewedKey: string, edited: unknown): Promise<Record<string, unknown>> {
    const def = stepDefinition(run.template, reviewedKey);
    const contract = def?.role && def.tool ? toolContract(def.role, def.tool) : undefined;
    if (contract === undefined)
      throw new BadInputError(`stage ${reviewedKey} has no artifact that can be edited`);
    const parsed = contract.output.safeParse(edited);
    if (!parsed.success) {
      const issues = parsed.error.issues
        .slice(0, 50)
        .map((i) => ({ path: i.path.join('.'), message: i.message }));
      const first = issues[0];
      throw new ArtifactInvalidError(
        `the edited ${reviewedKey} artifact does not match its schema: ${first?.path || '(root)'}: ${first?.message}`,
        issues,
      );
    }
    return parsed.data as Record<string, unknown>;
  }

  async #commitEdit(run: Run, stepKey: string, content: unknown, actor: string): Promise<string> {
    const { workspacePath } = await this.#project(run.projectId);
    return this.#workspace.commit(workspacePath, `${stepKey}: run ${run.id} edited by ${actor}`, [
      { path: artifactPath(stepKey), content: `${JSON.stringify(content, null, 2)}\n` },
    ]);
  }

  /**
   * Sets `target` (optionally) and everything downstream of it back to pending. Fix rounds after it
   * are skipped and the fix loop's steps get their template dependencies back.
   */
  async #resetFrom(
    tx: WriteTx,
    events: PendingEvent[],
    run: Run,
    target: string,
    options: { includeTarget: boolean; feedback?: string },
  ): Promise<void> {
    const steps = await this.store.getSteps(run.id, tx);
    const affected = new Set<string>([target]);
    let grew = true;
    while (grew) {
      grew = false;
      for (const step of steps) {
        if (!affected.has(step.key) && step.dependsOn.some((d) => affected.has(d))) {
          affected.add(step.key);
          grew = true;
        }
      }
    }
    if (!options.includeTarget) affected.delete(target);
    for (const step of steps.filter((s) => affected.has(s.key))) {
      if (step.status === 'running')
        throw new ConflictError(`step ${step.key} is running; wait for it or stop the run`);
      const isFix = /^fix-\d+$/.test(step.key);
      if (step.status !== 'pending') {
        await moveStep(this.store, tx, events, step, 'pending', {
          feedback: step.key === target ? (options.feedback ?? null) : null,
          error: null,
          notBefore: null,
          dependsOn: isFix
            ? step.dependsOn
            : (stepDefinition(run.template, step.key)?.dependsOn ?? step.dependsOn),
        });
      } else if (step.key === target) {
        await this.store.updateStep(tx, run.id, step.key, { feedback: options.feedback ?? null });
      }
      if (isFix) await moveStep(this.store, tx, events, step, 'skipped');
    }
  }

  #commit<T>(fn: TransactionBody<T>): Promise<T> {
    return commitAndPublish(this.store, this.bus, fn);
  }
}

/** A workspace folder the user named must be new or empty: a run never writes over someone's files. */
async function usableWorkspace(path: string): Promise<string> {
  const absolute = resolve(path);
  const entries = await readdir(absolute).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw new BadInputError(`cannot use ${absolute} as the workspace: ${err.code ?? err.message}`);
  });
  if (entries.length > 0)
    throw new BadInputError(`the workspace folder ${absolute} is not empty; name a new or empty folder`);
  return absolute;
}

function projectNameFrom(requirement: string): string {
  const firstLine = requirement.split(/\r?\n/)[0] ?? requirement;
  return firstLine.length > 60 ? `${firstLine.slice(0, 57)}...` : firstLine;
}
