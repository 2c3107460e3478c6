import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Run } from '../../../src/contracts/models.js';
import type { RequirementsSpec } from '../../../src/contracts/requirements.js';
import { HOSTILE_TEXTS, ordinaryText } from '../../fixtures/hostile-texts.js';
import { ADMIN_PASSWORD, type Client, type Harness, login, startHarness, until } from '../api-harness.js';

// Issue 18, DoS findings: text handling and the artifact diff ran quadratic (or exponential)
// regexes on the API's event loop, so one hostile requirement stalled every user.

let h: Harness;
let admin: Client;
beforeAll(async () => {
  h = await startHarness();
  admin = await login(h.url, 'admin', ADMIN_PASSWORD);
});
afterAll(async () => {
  await h?.close();
});

interface Analysed {
  runId: string;
  ms: number;
  /** GET /api/v1/health latencies measured while the requirement was analysed. */
  health: number[];
}

/** Starts a `design` run and waits for its requirements gate, timing /health all along. */
async function analyse(requirement: string): Promise<Analysed> {
  const health: number[] = [];
  let done = false;
  const probe = (async () => {
    while (!done) {
      const t = performance.now();
      const res = await fetch(`${h.url}/api/v1/health`);
      await res.arrayBuffer();
      health.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const started = performance.now();
  const created = await admin.post('/api/v1/runs', {
    requirement,
    template: 'design',
    options: { gatePolicies: { requirements: 'required' } },
  });
  expect(created.status).toBe(201);
  const run = (await created.json()) as Run;
  await until(
    `${run.id} at its requirements gate`,
    async () => {
      const s = await admin.json<{
        status: string;
        steps: { key: string; status: string; error: string | null }[];
      }>(`/api/v1/runs/${run.id}/status`);
      if (s.status === 'failed')
        throw new Error(`run failed: ${JSON.stringify(s.steps.filter((x) => x.error))}`);
      return s.steps.find((x) => x.key === 'gate:requirements')?.status === 'waiting_approval'
        ? true
        : undefined;
    },
    120_000,
  );
  const ms = performance.now() - started;
  done = true;
  await probe;
  return { runId: run.id, ms, health };
}

const p99 = (xs: number[]) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.99))]!;

describe('hostile input (DoS findings)', () => {
  let ordinary: Analysed;

  it('analyses a 100 KB ordinary requirement with /health answering throughout', async () => {
    ordinary = await analyse(ordinaryText());
    expect(ordinary.health.length).toBeGreaterThan(5);
    // The analysis runs in a worker thread: before, /health waited for all of it (~1.3 s here).
    expect(p99(ordinary.health)).toBeLessThan(500);
  });

  it.each(['brackets', 'scripts', 'enumLists', 'bounds', 'hanRules'])(
    'analyses 100 KB of %s within budget of the ordinary one, and /health keeps answering',
    async (name) => {
      const hostile = await analyse(HOSTILE_TEXTS[name]!());
      // Budget: three times the ordinary text of the same size, plus slack for a loaded machine.
      // Before: 100 KB of `[` took 4.8 s in one regex; a 40-item enum list never finished.
      expect(hostile.ms).toBeLessThan(3 * ordinary.ms + 3_000);
      expect(p99(hostile.health)).toBeLessThan(500);
    },
  );

  it('answers the diff of a large artifact edit quickly with counts, and the run goes on', async () => {
    const runId = ordinary.runId;
    const req = await admin.json<{ version: number; content: RequirementsSpec }>(
      `/api/v1/runs/${runId}/artifacts/requirements`,
    );
    // Reword and reverse a thousand requirements: an edit distance Myers' diff takes seconds on.
    const edited = structuredClone(req.content);
    for (const r of edited.requirements) r.text = `${r.text} (reviewed)`;
    edited.requirements.reverse();
    edited.userStories.reverse();
    const approved = await admin.post(`/api/v1/runs/${runId}/gates/requirements/approve`, { edited });
    expect(approved.status).toBe(200);
    const started = performance.now();
    const res = await admin.get(
      `/api/v1/runs/${runId}/artifacts/requirements/diff?from=${req.version}&to=${req.version + 1}`,
    );
    const took = performance.now() - started;
    expect(res.status).toBe(200);
    const diff = (await res.json()) as { tooLarge: boolean; patch: string; added: number; removed: number };
    expect(diff.tooLarge).toBe(true);
    expect(diff.patch).toBe('');
    expect(diff.added).toBeGreaterThan(1000);
    expect(diff.added).toBe(diff.removed);
    // Before: ~9 s of event loop on a large edit; now bounded by the diff's 1 s timeout.
    expect(took).toBeLessThan(3_000);

    // A small edit still gets its patch, and the product keeps working.
    const small = await admin.post('/api/v1/runs', {
      requirement: 'A library service. Members borrow books. A member can borrow at most 3 books at a time.',
      template: 'design',
    });
    expect(small.status).toBe(201);
  });
});
