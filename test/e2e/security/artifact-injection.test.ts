import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArchitectureSpec } from '../../../src/contracts/architecture.js';
import type { Artifact, Run } from '../../../src/contracts/models.js';
import type { RequirementsSpec } from '../../../src/contracts/requirements.js';
import { ADMIN_PASSWORD, type Client, type Harness, login, startHarness, until } from '../api-harness.js';

// Issue 18, finding 3: an artifact edited at its gate (REST edit-and-approve) reached generated code
// raw: `trace[].requirementId` into a `//` comment of src/rules.ts, `endpoints[].action` into a
// `/** */` comment of test/helpers.ts. A newline or `*/` in them became code.

const REQUIREMENT =
  'A library service. Librarians add books with a title and an author, and members borrow them. ' +
  'A member can borrow at most 3 books at a time.';
const marker = join(tmpdir(), `pa-artifact-pwned-${process.pid}`);
const WRITE_MARKER = `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'pwned')`;

interface ProblemBody {
  status: number;
  code: string;
  detail: string;
  errors?: { path: string; message: string }[];
}
interface StatusBody {
  status: string;
  steps: { key: string; status: string; error: string | null }[];
}

let h: Harness;
let admin: Client;
beforeAll(async () => {
  h = await startHarness();
  admin = await login(h.url, 'admin', ADMIN_PASSWORD);
});
afterAll(async () => {
  await h?.close();
  await rm(marker, { force: true });
});

const status = (runId: string) => admin.json<StatusBody>(`/api/v1/runs/${runId}/status`);

async function waitForGate(runId: string, gate: string): Promise<void> {
  await until(
    `${runId} at ${gate}`,
    async () => {
      const s = await status(runId);
      if (s.status === 'failed' || s.status === 'cancelled')
        throw new Error(`run ${s.status}: ${JSON.stringify(s.steps.filter((x) => x.error !== null))}`);
      return s.steps.find((x) => x.key === `gate:${gate}`)?.status === 'waiting_approval' ? true : undefined;
    },
    180_000,
  );
}

async function artifact<T>(runId: string, step: string): Promise<{ version: number; content: T }> {
  const a = await admin.json<Artifact>(`/api/v1/runs/${runId}/artifacts/${step}`);
  return { version: a.version, content: a.content as T };
}

const approve = (runId: string, gate: string, edited: unknown) =>
  admin.post(`/api/v1/runs/${runId}/gates/${gate}/approve`, { edited });

describe('editing artifacts at their gates (finding 3)', () => {
  it('refuses code in ids and verbs with 422 naming the field, keeps the run and the artifact, then goes on', async () => {
    const created = await admin.post('/api/v1/runs', {
      requirement: REQUIREMENT,
      template: 'full',
      options: {
        gatePolicies: { requirements: 'required', architecture: 'required', code_review: 'required' },
      },
    });
    expect(created.status).toBe(201);
    const run = (await created.json()) as Run;

    // Requirements gate: a requirement id with code in it is refused…
    await waitForGate(run.id, 'requirements');
    const req = await artifact<RequirementsSpec>(run.id, 'requirements');
    const badReq = structuredClone(req.content);
    badReq.requirements[0]!.id = `REQ-001\n${WRITE_MARKER}`;
    const refusedReq = await approve(run.id, 'requirements', badReq);
    expect(refusedReq.status).toBe(422);
    const reqProblem = (await refusedReq.json()) as ProblemBody;
    expect(reqProblem.code).toBe('ARTIFACT_INVALID');
    expect(reqProblem.errors?.map((e) => e.path)).toContain('edited.requirements.0.id');

    // …while hostile free text the contract allows (labels, requirement text) is accepted: the
    // generator must carry it as data. If it became code, the generated tests would exit with 97.
    const hostile = structuredClone(req.content);
    for (const entity of hostile.entities) {
      entity.label = `${entity.label} */ process.exit(97); /*`;
      for (const field of entity.fields) field.label = `${field.label} */ process.exit(97); //`;
    }
    for (const r of hostile.requirements) r.text = `${r.text}\n*/ process.exit(97); /*\n${WRITE_MARKER};`;
    const acceptedReq = await approve(run.id, 'requirements', hostile);
    expect(acceptedReq.status).toBe(200);
    expect(((await acceptedReq.json()) as { decision: string }).decision).toBe('edited');

    // Architecture gate: the two fields of the finding.
    await waitForGate(run.id, 'architecture');
    const before = await artifact<ArchitectureSpec>(run.id, 'architecture');
    const borrow = before.content.endpoints.findIndex((e) => e.action === 'borrow');
    expect(borrow).toBeGreaterThanOrEqual(0);
    expect(before.content.trace.length).toBeGreaterThan(0);
    const attack = structuredClone(before.content);
    attack.trace[0]!.requirementId = `REQ-001\n${WRITE_MARKER}; //`;
    attack.endpoints[borrow]!.action = 'borrow */ process.exit(97); /*';
    const refused = await approve(run.id, 'architecture', attack);
    expect(refused.status).toBe(422);
    expect(refused.headers.get('content-type')).toMatch(/application\/problem\+json/);
    const problem = (await refused.json()) as ProblemBody;
    expect(problem).toMatchObject({ status: 422, code: 'ARTIFACT_INVALID' });
    expect(problem.detail).toMatch(/edited architecture artifact does not match its schema/);
    expect(problem.errors?.map((e) => e.path)).toEqual(
      expect.arrayContaining(['edited.trace.0.requirementId', `edited.endpoints.${borrow}.action`]),
    );

    // Nothing lost: still at the gate, the artifact as it was, no new version.
    const held = await status(run.id);
    expect(held.status).toBe('waiting_approval');
    expect(held.steps.find((s) => s.key === 'gate:architecture')?.status).toBe('waiting_approval');
    const kept = await artifact<ArchitectureSpec>(run.id, 'architecture');
    expect(kept.version).toBe(before.version);
    expect(kept.content).toEqual(before.content);
    const { artifacts } = await admin.json<{ artifacts: Artifact[] }>(`/api/v1/runs/${run.id}/artifacts`);
    expect(artifacts.filter((a) => a.stepKey === 'architecture').map((a) => a.version)).toEqual([
      before.version,
    ]);

    // A normal edit goes through, and the run carries on through coding and the sandboxed tests.
    const fine = structuredClone(before.content);
    fine.decisions[0]!.title = `${fine.decisions[0]!.title} (reviewed)`;
    const approved = await approve(run.id, 'architecture', fine);
    expect(approved.status).toBe(200);
    expect(((await approved.json()) as { decision: string }).decision).toBe('edited');
    expect((await artifact<ArchitectureSpec>(run.id, 'architecture')).version).toBe(before.version + 1);

    await waitForGate(run.id, 'code_review');
    const done = await status(run.id);
    for (const key of ['coding', 'static_analysis', 'testing'])
      expect(done.steps.find((s) => s.key === key)?.status, key).toBe('succeeded');
    const analysis = await artifact<{ metrics: Record<string, number> }>(run.id, 'static_analysis');
    expect(analysis.content.metrics).toMatchObject({ typeErrors: 0, buildOk: 1 });
    const tests = await artifact<{ metrics: Record<string, number> }>(run.id, 'testing');
    expect(tests.content.metrics.testsFailed).toBe(0);
    expect(tests.content.metrics.testsPassed).toBeGreaterThan(0);
    expect(existsSync(marker)).toBe(false);

    // The reviewer's text is in the generated code, as comment text only.
    const file = await admin.json<{ content: string }>(
      `/api/v1/runs/${run.id}/files/content?path=${encodeURIComponent('src/domain/book.ts')}`,
    );
    expect(file.content).toContain('* / process.exit(97); /*');
    expect(file.content).not.toMatch(/^\s*process\.exit\(97\)/m);

    const cancelled = await admin.post(`/api/v1/runs/${run.id}/cancel`);
    expect(cancelled.status).toBe(200);
  }, 300_000);
});
