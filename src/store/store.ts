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
import type { Db } from './db.js';
import { type DirectPath, directPathOf } from './direct-path.js';
import { newId, now } from './ids.js';
import { OperationsStore } from './operations.js';
import { PreparedQueries } from './prepared.js';
import type { Database, EngineCallsTable, StepsTable } from './schema.js';

declare const insideTransaction: unique symbol;
/** The handle `Store.transaction` gives its body; methods that change state take one. */
export type WriteTx = Db & { readonly [insideTransaction]: true };
/** Reads take the database or a transaction's handle. */
export type Tx = WriteTx | Db;
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
  readonly #prepared: PreparedQueries;
  readonly #direct: DirectPath | undefined;

  constructor(readonly db: Db) {
    this.operations = new OperationsStore(db);
    this.#prepared = new PreparedQueries(db);
    this.#direct = directPathOf(db);
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
    const direct = this.#direct;
    const result = await (direct === undefined
      ? this.db.transaction().execute(body)
      : direct.transaction(body));
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
    const { rows } = await this.#prepared
      .get('getProject', (db, slot) => db.selectFrom('projects').selectAll().where('id', '=', slot('id')))
      .execute(this.db, { id });
    return rows[0];
  }

  async listProjects(): Promise<Project[]> {
    return this.db.selectFrom('projects').selectAll().orderBy('createdAt', 'desc').execute();
  }

  // runs

  async insertRun(tx: Tx, run: Run): Promise<void> {
    await this.#prepared
      .get('insertRun', (db, slot) =>
        db.insertInto('runs').values({
          id: slot('id'),
          projectId: slot('projectId'),
          template: slot('template'),
          status: slot('status'),
          requirement: slot('requirement'),
          options: slot('options'),
          error: slot('error'),
          eventSeq: 0,
          leaseOwner: null,
          leaseUntil: null,
          createdAt: slot('createdAt'),
          updatedAt: slot('updatedAt'),
        }),
      )
      .execute(tx, run, { options: JSON.stringify(run.options) });
  }

  async getRun(id: string, tx: Tx = this.db): Promise<Run | undefined> {
    const { rows } = await this.#prepared
      .get('getRun', (db, slot) => db.selectFrom('runs').selectAll().where('id', '=', slot('id')))
      .execute(tx, { id });
    return rows[0] === undefined ? undefined : toRun(rows[0]);
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
    await this.#prepared
      .get('setRunStatus', (db, slot) =>
        db
          .updateTable('runs')
          .set({ status: slot('status'), error: slot('error'), updatedAt: slot('updatedAt') })
          .where('id', '=', slot('id')),
      )
      .execute(tx, { id, status, error, updatedAt: now() });
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
      const { rows } = await this.#prepared
        .get('getLease', (db, slot) =>
          db.selectFrom('runs').select(['leaseOwner', 'leaseUntil']).where('id', '=', slot('id')),
        )
        .execute(tx, { id: runId });
      const row = rows[0];
      if (row === undefined) return false;
      const free =
        row.leaseOwner === null ||
        row.leaseOwner === owner ||
        row.leaseUntil === null ||
        row.leaseUntil < now() ||
        isOwnerDead(row.leaseOwner);
      if (!free) return false;
      await this.#prepared
        .get('takeLease', (db, slot) =>
          db
            .updateTable('runs')
            .set({ leaseOwner: slot('owner'), leaseUntil: slot('until') })
            .where('id', '=', slot('id')),
        )
        .execute(tx, { id: runId, owner, until: new Date(Date.now() + ttlMs).toISOString() });
      return true;
    });
    return result;
  }

  async releaseLease(runId: string, owner: string): Promise<void> {
    await this.#prepared
      .get('releaseLease', (db, slot) =>
        db
          .updateTable('runs')
          .set({ leaseOwner: null, leaseUntil: null })
          .where('id', '=', slot('id'))
          .where('leaseOwner', '=', slot('owner')),
      )
      .execute(this.db, { id: runId, owner });
  }

  // steps

  async insertSteps(tx: Tx, runId: string, steps: NewStep[], firstPosition = 0): Promise<void> {
    const insert = this.#prepared.get('insertStep', (db, slot) =>
      db.insertInto('steps').values({
        runId: slot('runId'),
        key: slot('key'),
        position: slot('position'),
        kind: slot('kind'),
        role: slot('role'),
        tool: slot('tool'),
        dependsOn: slot('dependsOn'),
        status: slot('status'),
        attempt: 0,
        maxAttempts: slot('maxAttempts'),
        feedback: null,
        artifactId: null,
        workspaceCommit: null,
        metrics: null,
        quality: null,
        error: null,
        notBefore: null,
        startedAt: null,
        finishedAt: null,
      }),
    );
    for (const [i, step] of steps.entries()) {
      await insert.execute(tx, step, {
        runId,
        position: firstPosition + i,
        dependsOn: JSON.stringify(step.dependsOn),
        status: step.status ?? 'pending',
      });
    }
  }

  async getSteps(runId: string, tx: Tx = this.db): Promise<Step[]> {
    const { rows } = await this.#prepared
      .get('getSteps', (db, slot) =>
        db.selectFrom('steps').selectAll().where('runId', '=', slot('runId')).orderBy('position'),
      )
      .execute(tx, { runId });
    return rows.map(toStep);
  }

  async getStep(runId: string, key: string, tx: Tx = this.db): Promise<Step | undefined> {
    const { rows } = await this.#prepared
      .get('getStep', (db, slot) =>
        db.selectFrom('steps').selectAll().where('runId', '=', slot('runId')).where('key', '=', slot('key')),
      )
      .execute(tx, { runId, key });
    return rows[0] === undefined ? undefined : toStep(rows[0]);
  }

  async updateStep(tx: Tx, runId: string, key: string, patch: StepPatch): Promise<void> {
    const values: Record<string, unknown> = {};
    for (const [field, value] of Object.entries(patch) as [keyof StepPatch, unknown][]) {
      if (value === undefined) continue;
      const jsonField = field === 'metrics' || field === 'quality' || field === 'dependsOn';
      values[field] = jsonField && value !== null ? JSON.stringify(value) : value;
    }
    // Call sites patch the same fields in the same order, so the order names the statement.
    const fields = Object.keys(values);
    if (fields.length === 0) return;
    await this.#prepared
      .get(`updateStep:${fields.join(',')}`, (db, slot) =>
        db
          .updateTable('steps')
          .set(Object.fromEntries(fields.map((f) => [f, slot(f)])) as Partial<StepsTable>)
          .where('runId', '=', slot('.runId'))
          .where('key', '=', slot('.key')),
      )
      .execute(tx, values, { '.runId': runId, '.key': key });
  }

  // attempts

  async insertAttempt(tx: Tx, attempt: StepAttempt): Promise<void> {
    await this.#prepared
      .get('insertAttempt', (db, slot) =>
        db.insertInto('stepAttempts').values({
          runId: slot('runId'),
          stepKey: slot('stepKey'),
          attempt: slot('attempt'),
          idempotencyKey: slot('idempotencyKey'),
          status: slot('status'),
          error: slot('error'),
          startedAt: slot('startedAt'),
          finishedAt: slot('finishedAt'),
          metrics: null,
        }),
      )
      .execute(tx, attempt);
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
    await this.#prepared
      .get('finishAttempt', (db, slot) =>
        db
          .updateTable('stepAttempts')
          .set({
            status: slot('status'),
            error: slot('error'),
            finishedAt: slot('finishedAt'),
            metrics: slot('metrics'),
          })
          .where('runId', '=', slot('runId'))
          .where('stepKey', '=', slot('stepKey'))
          .where('attempt', '=', slot<number>('attempt')),
      )
      .execute(tx, {
        status,
        error,
        finishedAt: now(),
        metrics: metrics === null ? null : JSON.stringify(metrics),
        runId,
        stepKey,
        attempt,
      });
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
    const { rows } = await this.#prepared
      .get('latestArtifactVersion', (db, slot) =>
        db
          .selectFrom('artifacts')
          .select(({ fn }) => fn.max('version').as('version'))
          .where('runId', '=', slot('runId'))
          .where('stepKey', '=', slot('stepKey')),
      )
      .execute(tx, artifact);
    const version = Number(rows[0]?.version ?? 0) + 1;
    const id = newId('art');
    await this.#prepared
      .get('insertArtifact', (db, slot) =>
        db.insertInto('artifacts').values({
          id: slot('id'),
          runId: slot('runId'),
          stepKey: slot('stepKey'),
          kind: slot('kind'),
          version: slot('version'),
          content: slot('content'),
          workspaceCommit: slot('workspaceCommit'),
          createdAt: slot('createdAt'),
        }),
      )
      .execute(tx, artifact, { id, version, content: JSON.stringify(artifact.content), createdAt: now() });
    return { id, version };
  }

  async getArtifact(id: string, tx: Tx = this.db): Promise<Artifact | undefined> {
    const { rows } = await this.#prepared
      .get('getArtifact', (db, slot) => db.selectFrom('artifacts').selectAll().where('id', '=', slot('id')))
      .execute(tx, { id });
    return rows[0] === undefined ? undefined : toArtifact(rows[0]);
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
      const { rows } = await this.#prepared
        .get('advanceEventSeq', (db, slot) =>
          db
            .updateTable('runs')
            .set((eb) => ({ eventSeq: eb('eventSeq', '+', slot<number>('count')) }))
            .where('id', '=', slot('runId'))
            .returning('eventSeq'),
        )
        .execute(tx, { runId, count });
      if (rows[0] === undefined) throw new NotFoundError('run', runId);
      next.set(runId, rows[0].eventSeq - count + 1);
    }
    const insert = this.#prepared.get('insertEvent', (db, slot) =>
      db.insertInto('events').values({
        runId: slot('runId'),
        seq: slot('seq'),
        type: slot('type'),
        payload: slot('payload'),
        createdAt: slot('createdAt'),
      }),
    );
    const events: RunEvent[] = [];
    for (const event of pending) {
      const seq = next.get(event.runId)!;
      next.set(event.runId, seq + 1);
      await insert.execute(tx, event, { seq, payload: JSON.stringify(event.payload) });
      const { runId, type, payload, createdAt } = event;
      events.push({ runId, seq, type, payload, createdAt } as RunEvent);
    }
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
    await this.#prepared
      .get('insertApproval', (db, slot) =>
        db.insertInto('approvals').values({
          id: slot('id'),
          runId: slot('runId'),
          stepKey: slot('stepKey'),
          decision: slot('decision'),
          actor: slot('actor'),
          comment: slot('comment'),
          createdAt: slot('createdAt'),
        }),
      )
      .execute(tx, approval);
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
    await this.#prepared
      .get('insertAudit', (db, slot) =>
        db.insertInto('auditLog').values({
          id: slot('id'),
          actor: slot('actor'),
          action: slot('action'),
          target: slot('target'),
          detail: slot('detail'),
          createdAt: slot('createdAt'),
        }),
      )
      .execute(tx, record, {
        id: newId('aud'),
        detail: JSON.stringify(record.detail ?? null),
        createdAt: now(),
      });
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
