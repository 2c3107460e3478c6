import { statSync } from 'node:fs';
import { join } from 'node:path';
import { validate } from '@readme/openapi-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { RunEvent } from '../../src/contracts/events.js';
import type { Run } from '../../src/contracts/models.js';
import {
  ADMIN_PASSWORD,
  type Client,
  client,
  type Harness,
  login,
  startHarness,
  until,
} from './api-harness.js';

const REQUIREMENT =
  'A library service where librarians add books with title, author and ISBN, and members borrow them.';

let h: Harness;
let admin: Client;

beforeAll(async () => {
  h = await startHarness();
  admin = await login(h.url, 'admin', ADMIN_PASSWORD);
});
afterAll(async () => {
  await h?.close();
});

async function createUser(username: string, role: string): Promise<Client> {
  const password = `${username}-password-123`;
  const res = await admin.post('/api/v1/users', { username, role, password });
  expect(res.status).toBe(201);
  return login(h.url, username, password);
}

async function startDesignRun(): Promise<Run> {
  const res = await admin.post('/api/v1/runs', { requirement: REQUIREMENT, template: 'design' });
  expect(res.status).toBe(201);
  return (await res.json()) as Run;
}

async function waitForGate(runId: string, gate: string): Promise<void> {
  await until(`${runId} at ${gate}`, async () => {
    const s = await admin.json<{ status: string; steps: { key: string; status: string }[] }>(
      `/api/v1/runs/${runId}/status`,
    );
    if (s.status === 'failed') throw new Error(`run failed: ${JSON.stringify(s)}`);
    return s.steps.find((x) => x.key === `gate:${gate}`)?.status === 'waiting_approval' ? true : undefined;
  });
}

/** Opens the event stream and collects messages until `stop` says so. */
function collect(runId: string, since: number, token: string, stop: (events: RunEvent[]) => boolean) {
  const url = `${h.url.replace('http', 'ws')}/api/v1/events?run=${runId}&since=${since}&token=${token}`;
  const ws = new WebSocket(url);
  const events: RunEvent[] = [];
  const done = new Promise<RunEvent[]>((resolve, reject) => {
    ws.on('message', (data) => {
      events.push(JSON.parse(String(data)) as RunEvent);
      if (stop(events)) {
        ws.close();
        resolve(events);
      }
    });
    ws.on('error', reject);
    ws.on('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
  });
  return { ws, done };
}

describe('API gateway', () => {
  it('refuses requests without a token with 401 problem+json', async () => {
    const res = await fetch(`${h.url}/api/v1/runs`);
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const body = (await res.json()) as { status: number; code: string; detail: string };
    expect(body).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
    const bad = await fetch(`${h.url}/api/v1/runs`, { headers: { authorization: 'Bearer not-a-jwt' } });
    expect(bad.status).toBe(401);
    const wrong = await fetch(`${h.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: 'wrong password' }),
    });
    expect(wrong.status).toBe(401);
  });

  it('answers a bad payload with 400 problem+json naming the field, without a stack', async () => {
    const res = await admin.post('/api/v1/runs', { requirement: 42, template: 'huge' });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const body = (await res.json()) as { code: string; detail: string; errors: { path: string }[] };
    expect(body.code).toBe('BAD_INPUT');
    expect(body.errors.map((e) => e.path)).toEqual(
      expect.arrayContaining(['body.requirement', 'body.template']),
    );
    expect(JSON.stringify(body)).not.toMatch(/at .*\.ts:\d+/);
    const notJson = await fetch(`${h.url}/api/v1/runs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'application/json' },
      body: '{"requirement": ',
    });
    expect(notJson.status).toBe(400);
    expect(notJson.headers.get('content-type')).toMatch(/problem\+json/);
  });

  it('answers an oversized body with 413', async () => {
    const res = await admin.post('/api/v1/runs', { requirement: 'x'.repeat(1_100_000) });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { code: string }).code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('lets only reviewers and admins decide a gate: a viewer gets 403', async () => {
    const viewer = await createUser('vera', 'viewer');
    const reviewer = await createUser('rita', 'reviewer');
    const maintainer = await createUser('mark', 'maintainer');
    const run = await startDesignRun();
    await waitForGate(run.id, 'requirements');

    const byViewer = await viewer.post(`/api/v1/runs/${run.id}/gates/requirements/approve`);
    expect(byViewer.status).toBe(403);
    expect(((await byViewer.json()) as { detail: string }).detail).toMatch(/gates:decide/);
    expect((await maintainer.post(`/api/v1/runs/${run.id}/gates/requirements/approve`)).status).toBe(403);
    expect((await viewer.post('/api/v1/runs', { requirement: REQUIREMENT })).status).toBe(403);
    expect((await viewer.get(`/api/v1/runs/${run.id}`)).status).toBe(200);

    const ok = await reviewer.post(`/api/v1/runs/${run.id}/gates/requirements/approve`, { comment: 'fine' });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ decision: 'approved', actor: 'rita' });
    const audit = await admin.json<{ records: { actor: string; action: string; target: string }[] }>(
      '/api/v1/audit',
    );
    expect(audit.records).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          actor: 'rita',
          action: 'gate.approve',
          target: `${run.id}/gate:requirements`,
        }),
        expect.objectContaining({ actor: 'admin', action: 'user.create' }),
        expect.objectContaining({ actor: 'admin', action: 'run.create', target: run.id }),
      ]),
    );
  });

  it('delivers every event after `since` on reconnect: no gap, no duplicate', async () => {
    const run = await startDesignRun();
    // First connection: take the first few events, then drop.
    const first = await collect(run.id, 0, admin.token, (events) => events.length >= 3).done;
    const lastSeen = first.at(-1)!.seq;
    await waitForGate(run.id, 'requirements');
    // Events happen while nobody listens.
    const approved = await admin.post(`/api/v1/runs/${run.id}/gates/requirements/approve`);
    expect(approved.status).toBe(200);
    await until('run settles', async () => {
      const s = await admin.json<{ status: string }>(`/api/v1/runs/${run.id}/status`);
      return ['waiting_approval', 'failed', 'succeeded'].includes(s.status) &&
        (await h.runtime.store.eventsSince(run.id, 0)).some((e) => e.type === 'gate.decided')
        ? true
        : undefined;
    });
    const total = (await h.runtime.store.eventsSince(run.id, 0)).length;
    expect(total).toBeGreaterThan(lastSeen);
    // Reconnect from the last seq seen; then one more live event must arrive too.
    const second = collect(run.id, lastSeen, admin.token, (events) => events.length >= total - lastSeen + 1);
    await until('history delivered', async () =>
      second.ws.readyState === WebSocket.OPEN ? true : undefined,
    );
    await new Promise((r) => setTimeout(r, 200));
    const live = await admin.post(`/api/v1/runs/${run.id}/cancel`);
    expect(live.status).toBe(200);
    const rest = await second.done;
    const seqs = [...first, ...rest].map((e) => e.seq);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    const stored = await h.runtime.store.eventsSince(run.id, 0);
    expect(seqs.length).toBeLessThanOrEqual(stored.length);
    expect([...first, ...rest].map((e) => e.type)).toEqual(stored.slice(0, seqs.length).map((e) => e.type));
  });

  it('refuses an event stream without a token or for an unknown run', async () => {
    const noToken = await fetch(`${h.url}/api/v1/events?run=run_x`);
    expect(noToken.status).toBe(401);
    const unknown = await admin.get('/api/v1/events?run=run_doesnotexist');
    expect(unknown.status).toBe(404);
  });

  it('issues API tokens shown once, stored hashed, revocable', async () => {
    const created = await admin.json<{ token: { id: string }; secret: string }>('/api/v1/tokens', {
      method: 'POST',
      body: { name: 'ci' },
    });
    expect(created.secret).toMatch(/^pat_/);
    const ci = client(h.url, created.secret);
    expect((await ci.get('/api/v1/runs')).status).toBe(200);
    const listed = await admin.json<{ tokens: Record<string, unknown>[] }>('/api/v1/tokens');
    expect(JSON.stringify(listed)).not.toContain(created.secret);
    const row = await h.runtime.store.db
      .selectFrom('apiTokens')
      .selectAll()
      .where('id', '=', created.token.id)
      .executeTakeFirstOrThrow();
    expect(row.tokenHash).not.toContain(created.secret);
    expect(
      (await admin.json<{ ok: boolean }>(`/api/v1/tokens/${created.token.id}`, { method: 'DELETE' })).ok,
    ).toBe(true);
    await new Promise((r) => setTimeout(r, 1_100)); // identity cache
    expect((await ci.get('/api/v1/runs')).status).toBe(401);
    expect(statSync(join(h.home, 'api-secret')).mode & 0o777).toBe(0o600);
  });

  it('publishes a valid OpenAPI 3.1 document generated from the zod schemas', async () => {
    const doc = (await (await fetch(`${h.url}/api/v1/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<string, unknown>;
    };
    expect(doc.openapi).toBe('3.1.0');
    const result = await validate(structuredClone(doc) as never);
    expect(result).toMatchObject({ valid: true });
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/v1/runs', '/api/v1/runs/{runId}/gates/{gate}/reject', '/api/v1/events']),
    );
    expect((await fetch(`${h.url}/docs`)).status).toBe(200);
  });

  it('serves Prometheus metrics, security headers, and no stack traces', async () => {
    expect((await fetch(`${h.url}/metrics`)).status).toBe(401);
    const res = await admin.get('/metrics');
    const text = await res.text();
    expect(text).toMatch(/powerauto_runs\{state="waiting_approval"\} \d/);
    expect(text).toContain('powerauto_queue_depth');
    expect(text).toContain('powerauto_step_duration_seconds_bucket');
    expect(text).toContain('powerauto_engine_call_duration_seconds');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    const engines = await admin.json<{ engines: { role: string; breaker: string }[] }>('/api/v1/engines');
    expect(engines.engines.map((e) => e.role)).toContain('requirements');
  });

  it('exposes releases, deployments and monitoring honestly', async () => {
    const deployments = await admin.json<{ deployments: unknown[] }>('/api/v1/deployments');
    expect(Array.isArray(deployments.deployments)).toBe(true);
    const run = (await admin.json<{ runs: Run[] }>('/api/v1/runs')).runs[0]!;
    const monitoring = await admin.get(`/api/v1/deployments/${run.id}/production/monitoring`);
    // No deployment exists for a design run: 404 names it.
    expect(monitoring.status).toBe(404);
  });
});

describe('rate limits', () => {
  let limited: Harness;
  beforeAll(async () => {
    limited = await startHarness({ rateLimit: { max: 5, timeWindowMs: 60_000 } }, h.home);
  });
  afterAll(async () => {
    await limited?.close();
  });

  it('answers 429 with Retry-After past the per-user limit', async () => {
    const me = await login(limited.url, 'admin', ADMIN_PASSWORD);
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 7; i++) {
      const res = await me.get('/api/v1/projects');
      statuses.push(res.status);
      if (res.status === 429) {
        retryAfter = res.headers.get('retry-after');
        expect(res.headers.get('content-type')).toMatch(/problem\+json/);
      }
    }
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(statuses.slice(5)).toEqual([429, 429]);
    expect(Number(retryAfter)).toBeGreaterThan(0);
  });

  it('limits login attempts per IP', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const res = await fetch(`${limited.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password: `guess-${i}` }),
      });
      statuses.push(res.status);
    }
    expect(statuses).toContain(429);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(10);
  });
});
