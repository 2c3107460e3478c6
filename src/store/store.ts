import { NotFoundError } from '../contracts/errors.js';
import type { EventPayload, EventType, RunEvent } from '../contracts/events.js';
import type {
  Approval,
  Artifact,
  AuditRecord,
  Metrics,
  Project,
  QualityGateResult,
  Run,
  RunOptions,
  RunStatus,
  Step,
  StepAttempt,
  StepStatus,
} from '../contracts/models.js';
import type { Db, Tx, WriteTx } from './db.js';
import { newId, now } from './ids.js';
import { OperationsStore } from './operations.js';
import type { Database, EngineCallsTable, StepsTable } from './schema.js';

export type { Tx, WriteTx };
/** An event appended inside a transaction; it gets its sequence number when the transaction commits. */
export type PendingEvent = Omit<RunEvent, 'seq'>;
export type TransactionBody<T> = (tx: WriteTx, events: PendingEvent[]) => Promise<T>;

export { newId, now };

export interface NewStep {
  key: string;
  kind: Step['kind'];
  role: Step['role'];
  tool: string | null;
  dependsOn: string[];
  maxAttempts: number;
  status?: StepStatus;
}

export type StepPatch = Partial<
  Pick<
    Step,
    | 'status'
    | 'attempt'
    | 'feedback'
    | 'artifactId'
    | 'workspaceCommit'
    | 'metrics'
    | 'quality'
    | 'error'
    | 'notBefore'
    | 'startedAt'
    | 'finishedAt'
    | 'dependsOn'
  >
>;

/**
 * Repositories over one Kysely database. Methods that change state take a transaction, so the
 * orchestrator commits a transition, its event and its artifact together.
 */
export class Store {
  readonly operations: OperationsStore;

  constructor(readonly db: Db) {
    this.operations = new OperationsStore(db);
  }

  /**
   * Runs `fn` in one transaction. The events it appended are written last, in the same transaction,
   * and returned with their sequence numbers for publishing after commit.
   */
  async transaction<T>(fn: TransactionBody<T>): Promise<{
    result: T;
    events: RunEvent[];
  }> {
    const pending: PendingEvent[] = [];
    let events: RunEvent[] = [];
    const body = async (db: Db) => {
      const tx = db as WriteTx;
      const value = await fn(tx, pending);
      events = await this.#writeEvents(tx, pending);
      return value;
    };
    const result = await this.db.transaction().execute(body);
    return { result, events };
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }

  // projects

  async insertProject(tx: Tx, project: Project): Promise<void> {
    await tx.insertInto('projects').values(project).execute();
  }

  async getProject(id: string): Promise<Project | undefined> {
    return this.db.selectFrom('projects').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async listProjects(): Promise<Project[]> {
    return this.db.selectFrom('projects').selectAll().orderBy('createdAt', 'desc').execute();
  }

  // runs

  async insertRun(tx: Tx, run: Run): Promise<void> {
    await tx
      .insertInto('runs')
      .values({
        id: run.id,
        projectId: run.projectId,
        template: run.template,
        status: run.status,
        requirement: run.requirement,
        options: JSON.stringify(run.options),
        error: run.error,
        eventSeq: 0,
        leaseOwner: null,
        leaseUntil: null,
        createdAt: run.createdAt,
        updatedAt: run.updatedAt,
      })
      .execute();
  }

  async getRun(id: string, tx: Tx = this.db): Promise<Run | undefined> {
    const row = await tx.selectFrom('runs').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : toRun(row);
  }

  async listRuns(
    filter: { statuses?: RunStatus[]; projectId?: string; limit?: number } = {},
  ): Promise<Run[]> {
    let query = this.db.selectFrom('runs').selectAll().orderBy('createdAt', 'desc');
    if (filter.statuses !== undefined) query = query.where('status', 'in', filter.statuses);
    if (filter.projectId !== undefined) query = query.where('projectId', '=', filter.projectId);
    if (filter.limit !== undefined) query = query.limit(filter.limit);
    return (await query.execute()).map(toRun);
  }

  async setRunStatus(tx: Tx, id: string, status: RunStatus, error: string | null): Promise<void> {
    await tx.updateTable('runs').set({ status, error, updatedAt: now() }).where('id', '=', id).execute();
  }

  /**
   * Takes the run's lease for `owner` if it is free, expired, or already ours.
   * One process drives a run at a time; a crashed owner's lease lapses after `ttlMs`.
   */
  async claimLease(
    runId: string,
    owner: string,
    ttlMs: number,
    isOwnerDead: (owner: string) => boolean,
  ): Promise<boolean> {
    const { result } = await this.transaction(async (tx) => {
      const row = await tx
        .selectFrom('runs')
        .select(['leaseOwner', 'leaseUntil'])
        .where('id', '=', runId)
        .executeTakeFirst();
      if (row === undefined) return false;
      const free =
        row.leaseOwner === null ||
        row.leaseOwner === owner ||
        row.leaseUntil === null ||
        row.leaseUntil < now() ||
        isOwnerDead(row.leaseOwner);
      if (!free) return false;
      await tx
        .updateTable('runs')
        .set({ leaseOwner: owner, leaseUntil: new Date(Date.now() + ttlMs).toISOString() })
        .where('id', '=', runId)
        .execute();
      return true;
    });
    return result;
  }

  async releaseLease(runId: string, owner: string): Promise<void> {
    await this.db
      .updateTable('runs')
      .set({ leaseOwner: null, leaseUntil: null })
      .where('id', '=', runId)
      .where('leaseOwner', '=', owner)
      .execute();
  }

  // steps

  async insertSteps(tx: Tx, runId: string, steps: NewStep[], firstPosition = 0): Promise<void> {
    if (steps.length === 0) return;
    await tx
      .insertInto('steps')
      .values(
        steps.map((step, i) => ({
          runId,
          key: step.key,
          position: firstPosition + i,
          kind: step.kind,
          role: step.role,
          tool: step.tool,
          dependsOn: JSON.stringify(step.dependsOn),
          status: step.status ?? 'pending',
          attempt: 0,
          maxAttempts: step.maxAttempts,
          feedback: null,
          artifactId: null,
          workspaceCommit: null,
          metrics: null,
          quality: null,
          error: null,
          notBefore: null,
          startedAt: null,
          finishedAt: null,
        })),
      )
      .execute();
  }

  async getSteps(runId: string, tx: Tx = this.db): Promise<Step[]> {
    const rows = await tx
      .selectFrom('steps')
      .selectAll()
      .where('runId', '=', runId)
      .orderBy('position')
      .execute();
    return rows.map(toStep);
  }

  async getStep(runId: string, key: string, tx: Tx = this.db): Promise<Step | undefined> {
    const row = await tx
      .selectFrom('steps')
      .selectAll()
      .where('runId', '=', runId)
      .where('key', '=', key)
      .executeTakeFirst();
    return row === undefined ? undefined : toStep(row);
  }

  async updateStep(tx: Tx, runId: string, key: string, patch: StepPatch): Promise<void> {
    const values: Record<string, unknown> = {};
    for (const [field, value] of Object.entries(patch) as [keyof StepPatch, unknown][]) {
      if (value === undefined) continue;
      const jsonField = field === 'metrics' || field === 'quality' || field === 'dependsOn';
      values[field] = jsonField && value !== null ? JSON.stringify(value) : value;
    }
    if (Object.keys(values).length === 0) return;
    await tx
      .updateTable('steps')
      .set(values as Partial<StepsTable>)
      .where('runId', '=', runId)
      .where('key', '=', key)
      .execute();
  }

  // attempts

  async insertAttempt(tx: Tx, attempt: StepAttempt): Promise<void> {
    await tx
      .insertInto('stepAttempts')
      .values({
        runId: attempt.runId,
        stepKey: attempt.stepKey,
        attempt: attempt.attempt,
        idempotencyKey: attempt.idempotencyKey,
        status: attempt.status,
        error: attempt.error,
        startedAt: attempt.startedAt,
        finishedAt: attempt.finishedAt,
        metrics: null,
      })
      .execute();
  }

  /** `metrics`: the LLM usage a failed attempt reported, so the budgets still count it. */
  async finishAttempt(
    tx: Tx,
    runId: string,
    stepKey: string,
    attempt: number,
    status: StepAttempt['status'],
    error: string | null,
    metrics: Record<string, number> | null = null,
  ): Promise<void> {
    await tx
      .updateTable('stepAttempts')
      .set({
        status,
        error,
        finishedAt: now(),
        metrics: metrics === null ? null : JSON.stringify(metrics),
      })
      .where('runId', '=', runId)
      .where('stepKey', '=', stepKey)
      .where('attempt', '=', attempt)
      .execute();
  }

  async getAttempts(runId: string): Promise<StepAttempt[]> {
    const rows = await this.db
      .selectFrom('stepAttempts')
      .selectAll()
      .where('runId', '=', runId)
      .orderBy('startedAt')
      .execute();
    return rows.map(({ metrics: _metrics, ...r }) => ({ ...r, status: r.status as StepAttempt['status'] }));
  }

  /** The metrics attempts without an artifact (failed, cancelled) reported, by step. */
  async attemptMetrics(runId: string): Promise<{ stepKey: string; metrics: Record<string, number> }[]> {
    const rows = await this.db
      .selectFrom('stepAttempts')
      .select(['stepKey', 'metrics'])
      .where('runId', '=', runId)
      .where('metrics', 'is not', null)
      .orderBy('startedAt')
      .execute();
    return rows.map((r) => ({
      stepKey: r.stepKey,
      metrics: JSON.parse(r.metrics!) as Record<string, number>,
    }));
  }

  // artifacts

  async insertArtifact(
    tx: Tx,
    artifact: Omit<Artifact, 'id' | 'version' | 'createdAt'>,
  ): Promise<{ id: string; version: number }> {
    const latest = await tx
      .selectFrom('artifacts')
      .select(({ fn }) => fn.max('version').as('version'))
      .where('runId', '=', artifact.runId)
      .where('stepKey', '=', artifact.stepKey)
      .executeTakeFirst();
    const version = Number(latest?.version ?? 0) + 1;
    const id = newId('art');
    await tx
      .insertInto('artifacts')
      .values({
        id,
        runId: artifact.runId,
        stepKey: artifact.stepKey,
        kind: artifact.kind,
        version,
        content: JSON.stringify(artifact.content),
        workspaceCommit: artifact.workspaceCommit,
        createdAt: now(),
      })
      .execute();
    return { id, version };
  }

  async getArtifact(id: string, tx: Tx = this.db): Promise<Artifact | undefined> {
    const row = await tx.selectFrom('artifacts').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : toArtifact(row);
  }

  async listArtifacts(runId: string): Promise<Artifact[]> {
    const rows = await this.db
      .selectFrom('artifacts')
      .selectAll()
      .where('runId', '=', runId)
      .orderBy('createdAt')
      .orderBy('version')
      .execute();
    return rows.map(toArtifact);
  }

  // events

  /** Appends an event to a transaction's events (see `transaction`): it is written when that commits. */
  appendEvent<T extends EventType>(
    events: PendingEvent[],
    runId: string,
    type: T,
    payload: EventPayload<T>,
  ): void {
    events.push({ runId, type, payload, createdAt: now() });
  }

  /**
   * Gives each event its run's next sequence number, with one counter update per run. The counter
   * row also serialises two writers appending to one run.
   */
  async #writeEvents(tx: WriteTx, pending: PendingEvent[]): Promise<RunEvent[]> {
    if (pending.length === 0) return [];
    const counts = new Map<string, number>();
    for (const event of pending) counts.set(event.runId, (counts.get(event.runId) ?? 0) + 1);
    const next = new Map<string, number>();
    for (const [runId, count] of counts) {
      const row = await tx
        .updateTable('runs')
        .set((eb) => ({ eventSeq: eb('eventSeq', '+', count) }))
        .where('id', '=', runId)
        .returning('eventSeq')
        .executeTakeFirst();
      if (row === undefined) throw new NotFoundError('run', runId);
      next.set(runId, row.eventSeq - count + 1);
    }
    const events: RunEvent[] = [];
    for (const event of pending) {
      const seq = next.get(event.runId)!;
      next.set(event.runId, seq + 1);
      const { runId, type, payload, createdAt } = event;
      events.push({ runId, seq, type, payload, createdAt } as RunEvent);
    }
    await tx
      .insertInto('events')
      .values(
        events.map((e) => ({
          runId: e.runId,
          seq: e.seq,
          type: e.type,
          payload: JSON.stringify(e.payload),
          createdAt: e.createdAt,
        })),
      )
      .execute();
    return events;
  }

  async lastEventSeq(runId: string): Promise<number> {
    const row = await this.db
      .selectFrom('runs')
      .select('eventSeq')
      .where('id', '=', runId)
      .executeTakeFirst();
    return row?.eventSeq ?? 0;
  }

  async eventsSince(runId: string, since: number, limit = 10_000): Promise<RunEvent[]> {
    const rows = await this.db
      .selectFrom('events')
      .selectAll()
      .where('runId', '=', runId)
      .where('seq', '>', since)
      .orderBy('seq')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      ...r,
      type: r.type as RunEvent['type'],
      payload: JSON.parse(r.payload) as unknown,
    }));
  }

  // approvals and audit

  async insertApproval(tx: Tx, approval: Approval): Promise<void> {
    await tx
      .insertInto('approvals')
      .values({
        id: approval.id,
        runId: approval.runId,
        stepKey: approval.stepKey,
        decision: approval.decision,
        actor: approval.actor,
        comment: approval.comment,
        createdAt: approval.createdAt,
      })
      .execute();
  }

  async listApprovals(runId: string): Promise<Approval[]> {
    const rows = await this.db
      .selectFrom('approvals')
      .selectAll()
      .where('runId', '=', runId)
      .orderBy('createdAt')
      .execute();
    return rows.map((r) => ({ ...r, decision: r.decision as Approval['decision'] }));
  }

  async insertAudit(tx: Tx, record: Omit<AuditRecord, 'id' | 'createdAt'>): Promise<void> {
    await tx
      .insertInto('auditLog')
      .values({
        id: newId('aud'),
        actor: record.actor,
        action: record.action,
        target: record.target,
        detail: JSON.stringify(record.detail ?? null),
        createdAt: now(),
      })
      .execute();
  }

  async listAudit(limit = 200): Promise<AuditRecord[]> {
    const rows = await this.db
      .selectFrom('auditLog')
      .selectAll()
      .orderBy('createdAt', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ ...r, detail: JSON.parse(r.detail) as unknown }));
  }

  // engine calls

  async insertEngineCall(call: Omit<EngineCallsTable, 'id' | 'createdAt'>): Promise<void> {
    await this.db
      .insertInto('engineCalls')
      .values({ ...call, id: newId('call'), createdAt: now() })
      .execute();
  }
}

function toRun(row: Database['runs']): Run {
  return {
    id: row.id,
    projectId: row.projectId,
    template: row.template as Run['template'],
    status: row.status as RunStatus,
    requirement: row.requirement,
    options: JSON.parse(row.options) as RunOptions,
    error: row.error,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

function toArtifact(row: Database['artifacts']): Artifact {
  return {
    id: row.id,
    runId: row.runId,
    stepKey: row.stepKey,
    kind: row.kind,
    version: row.version,
    content: JSON.parse(row.content) as unknown,
    workspaceCommit: row.workspaceCommit,
    createdAt: row.createdAt,
  };
}

function toStep(row: StepsTable): Step {
  return {
    runId: row.runId,
    key: row.key,
    kind: row.kind as Step['kind'],
    role: row.role as Step['role'],
    tool: row.tool,
    dependsOn: JSON.parse(row.dependsOn) as string[],
    status: row.status as StepStatus,
    attempt: row.attempt,
    maxAttempts: row.maxAttempts,
    feedback: row.feedback,
    artifactId: row.artifactId,
    workspaceCommit: row.workspaceCommit,
    metrics: row.metrics === null ? null : (JSON.parse(row.metrics) as Metrics),
    quality: row.quality === null ? null : (JSON.parse(row.quality) as QualityGateResult),
    error: row.error,
    notBefore: row.notBefore,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
  };
}
