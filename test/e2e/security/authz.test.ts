import { randomBytes, scryptSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client as McpClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  Authenticator,
  CACHE_CAP,
  loadOrCreateSecret,
  MAX_SESSION_SECONDS,
} from '../../../src/api/auth/authenticator.js';
import type { AuditRecord, Run } from '../../../src/contracts/models.js';
import type { RunSummary } from '../../../src/orchestrator/run-summary.js';
import { summarize } from '../../../src/orchestrator/run-summary.js';
import { UserStore } from '../../../src/store/users.js';
import { powerauto } from '../../helpers/cli.js';
import { ADMIN_PASSWORD, type Client, type Harness, login, startHarness, until } from '../api-harness.js';

// Issue 18, authorization and authentication findings: each test is the attack, made through the real
// API, MCP endpoint or WebSocket, and then the legitimate use that must keep working.

const REQUIREMENT = 'A todo service where users add tasks with a title and a due date.';
const ALL_AUTO = { requirements: 'auto', architecture: 'auto', code_review: 'auto', release: 'auto' };

let h: Harness;
let admin: Client;
const mcpClients: McpClient[] = [];

beforeAll(async () => {
  h = await startHarness();
  admin = await login(h.url, 'admin', ADMIN_PASSWORD);
});
afterAll(async () => {
  await Promise.allSettled(mcpClients.map((c) => c.close()));
  await h?.close();
});

async function createUser(username: string, role: string): Promise<{ client: Client; id: string }> {
  const password = `${username}-password-123`;
  const res = await admin.post('/api/v1/users', { username, role, password });
  expect(res.status).toBe(201);
  const { id } = (await res.json()) as { id: string };
  return { client: await login(h.url, username, password), id };
}

async function mcpAs(token: string): Promise<McpClient> {
  const transport = new StreamableHTTPClientTransport(new URL('/mcp', h.url), {
    requestInit: { headers: { authorization: `Bearer ${token}` } },
  });
  const client = new McpClient({ name: 'authz-test', version: '1.0.0' });
  await client.connect(transport);
  mcpClients.push(client);
  return client;
}

async function auditOf(runId: string): Promise<AuditRecord[]> {
  return (await h.runtime.store.listAudit(1000)).filter((a) => a.target.startsWith(runId));
}

async function finished(client: Client, runId: string): Promise<string> {
  return until(`${runId} to settle`, async () => {
    const s = await client.json<{ status: string }>(`/api/v1/runs/${runId}/status`);
    return ['succeeded', 'failed', 'waiting_approval'].includes(s.status) ? s.status : undefined;
  });
}

describe('automatic gate policies (issue 18: a maintainer bypassed every gate)', () => {
  it('refuses gatePolicies: auto from a maintainer over REST with 403 AUTO_GATES_FORBIDDEN, and starts no run', async () => {
    const { client: maintainer } = await createUser('mallory', 'maintainer');
    const before = (await admin.json<{ runs: Run[] }>('/api/v1/runs')).runs.length;
    const res = await maintainer.post('/api/v1/runs', {
      requirement: REQUIREMENT,
      template: 'design',
      options: { gatePolicies: { requirements: 'auto' } },
    });
    expect(res.status).toBe(403);
    const problem = (await res.json()) as { code: string; detail: string };
    expect(problem.code).toBe('AUTO_GATES_FORBIDDEN');
    expect(problem.detail).toContain('need the admin role');
    expect((await admin.json<{ runs: Run[] }>('/api/v1/runs')).runs.length).toBe(before);

    // The same maintainer still starts runs whose gates wait for a reviewer.
    const ok = await maintainer.post('/api/v1/runs', {
      requirement: REQUIREMENT,
      template: 'design',
      options: { gatePolicies: { requirements: 'required' } },
    });
    expect(ok.status).toBe(201);
    const run = (await ok.json()) as Run;
    expect(await finished(admin, run.id)).toBe('waiting_approval');
    expect(run.options.autoApproval).toBeUndefined();
  });

  it('refuses autoApprove from a maintainer over MCP with the same code', async () => {
    const { client: maintainer } = await createUser('mcp-mallory', 'maintainer');
    const mcp = await mcpAs(maintainer.token);
    const refused = await mcp.callTool({
      name: 'start_run',
      arguments: { requirement: REQUIREMENT, template: 'design', autoApprove: true },
    });
    expect(refused.isError).toBe(true);
    expect(JSON.stringify(refused.content)).toContain('AUTO_GATES_FORBIDDEN');
    const started = await mcp.callTool({
      name: 'start_run',
      arguments: { requirement: REQUIREMENT, template: 'design' },
    });
    expect(started.isError).toBeFalsy();
  });

  it('lets an admin set them, audits who did, and marks the run and its summary as auto-approved', async () => {
    const res = await admin.post('/api/v1/runs', {
      requirement: REQUIREMENT,
      template: 'design',
      options: { gatePolicies: ALL_AUTO },
    });
    expect(res.status).toBe(201);
    const run = (await res.json()) as Run;
    expect(run.options.autoApproval).toMatchObject({ by: 'admin' });
    expect(await finished(admin, run.id)).toBe('succeeded');

    const records = await auditOf(run.id);
    const setting = records.find((a) => a.action === 'run.gates_auto');
    expect(setting?.actor).toBe('admin');
    expect((setting?.detail as { gates?: string[] } | undefined)?.gates).toEqual(Object.keys(ALL_AUTO));
    const passes = records.filter((a) => a.action === 'gate.approve');
    expect(passes.map((a) => a.target).sort()).toEqual([
      `${run.id}/gate:architecture`,
      `${run.id}/gate:requirements`,
    ]);
    for (const pass of passes) expect(pass.detail).toMatchObject({ policy: 'auto', setBy: 'admin' });

    const summary: RunSummary = summarize(await h.runtime.orchestrator.getRunView(run.id));
    expect(summary.autoApproval?.by).toBe('admin');
    expect(summary.autoApprovedGates.sort()).toEqual(['gate:architecture', 'gate:requirements']);
    // The SmartUI reads the same run view over REST.
    const view = await admin.json<{ run: Run; approvals: { actor: string }[] }>(`/api/v1/runs/${run.id}`);
    expect(view.run.options.autoApproval?.by).toBe('admin');
    expect(view.approvals.every((a) => a.actor === 'policy:auto')).toBe(true);
  });

  it('ignores a forged autoApproval in the request body', async () => {
    const res = await admin.post('/api/v1/runs', {
      requirement: REQUIREMENT,
      template: 'design',
      options: { autoApproval: { by: 'someone-else', at: '2020-01-01T00:00:00Z', gates: ['release'] } },
    });
    expect(res.status).toBe(201);
    const run = (await res.json()) as Run;
    expect(run.options.autoApproval).toBeUndefined();
    expect(await finished(admin, run.id)).toBe('waiting_approval');
  });
});

describe('the CLI --yes (the local user, who owns the home and its database)', () => {
  it('still runs every gate automatically, and the summary names who set it', async () => {
    const home = await mkdtemp(join(tmpdir(), 'powerauto-authz-cli-'));
    try {
      const res = await powerauto(home, ['run', REQUIREMENT, '--template', 'design', '--yes', '--json']);
      expect(res.code, res.stderr.slice(-2000)).toBe(0);
      const summary = JSON.parse(res.stdout) as RunSummary;
      expect(summary.status).toBe('succeeded');
      expect(summary.autoApproval?.by).toMatch(/^cli:/);
      expect(summary.autoApprovedGates.sort()).toEqual(['gate:architecture', 'gate:requirements']);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});

describe('failed authentication (issue 18: bad bearer tokens skipped the rate limit)', () => {
  it('answers 429 once an IP has failed too often, before looking at the token, and lets it back after the window', async () => {
    const limited = await startHarness({ authFailureRateLimit: { max: 5, timeWindowMs: 2_000 } }, h.home);
    try {
      const { client: good } = await createUser('gina', 'viewer');
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) {
        const res = await fetch(`${limited.url}/api/v1/runs`, {
          headers: { authorization: `Bearer pat_guess${i}` },
        });
        statuses.push(res.status);
        if (res.status === 429) {
          expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
          expect(((await res.json()) as { code: string }).code).toBe('RATE_LIMITED');
        } else await res.body?.cancel();
      }
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
      // A forged JWT and no token at all are refused the same way while the window lasts.
      expect(
        (await fetch(`${limited.url}/api/v1/runs`, { headers: { authorization: 'Bearer e30.e30.x' } }))
          .status,
      ).toBe(429);
      expect((await fetch(`${limited.url}/api/v1/runs`)).status).toBe(429);

      // The window passes; the valid session works again, and its successes do not count as failures.
      await new Promise((r) => setTimeout(r, 2_100));
      for (let i = 0; i < 10; i++) {
        const res = await fetch(`${limited.url}/api/v1/runs`, {
          headers: { authorization: `Bearer ${good.token}` },
        });
        expect(res.status).toBe(200);
        await res.body?.cancel();
      }
    } finally {
      await limited.server.close();
      await limited.runtime.close();
    }
  });

  it('keeps the identity caches under their cap whatever number of distinct tokens arrives', async () => {
    const auth = new Authenticator(loadOrCreateSecret(h.home), new UserStore(h.runtime.store.db), 900);
    const distinct = CACHE_CAP + 2_000;
    for (let i = 0; i < distinct; i++) {
      await expect(auth.authenticate(`pat_flood${i}`)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    }
    expect(auth.cacheSizes().tokens).toBe(CACHE_CAP);
    // Still a working authenticator: a real API token of a real user is accepted.
    const created = await admin.json<{ secret: string }>('/api/v1/tokens', {
      method: 'POST',
      body: { name: 'ci' },
    });
    await expect(auth.authenticate(created.secret)).resolves.toMatchObject({
      username: 'admin',
      via: 'token',
    });
  });
});

/** Opens the event stream of a run; resolves with the close code and reason when the server closes it. */
function eventSocket(url: string, runId: string, token: string) {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/api/v1/events?run=${runId}&since=0&token=${token}`);
  const opened = new Promise<void>((resolve, reject) => {
    ws.on('open', () => resolve());
    ws.on('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    ws.on('error', reject);
  });
  const closed = new Promise<{ code: number; reason: string; at: number }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString(), at: Date.now() })),
  );
  const messages: unknown[] = [];
  ws.on('message', (data) => messages.push(JSON.parse(String(data))));
  return { ws, opened, closed, messages };
}

describe('long-lived connections keep to the current role (issue 18, low findings)', () => {
  it('an MCP session opened by a maintainer loses start_run the moment they are demoted', async () => {
    const { client: maintainer, id } = await createUser('demoted-dan', 'maintainer');
    const mcp = await mcpAs(maintainer.token);
    const first = await mcp.callTool({
      name: 'start_run',
      arguments: { requirement: REQUIREMENT, template: 'design' },
    });
    expect(first.isError).toBeFalsy();

    expect(
      await admin.json(`/api/v1/users/${id}`, { method: 'PATCH', body: { role: 'reviewer' } }),
    ).toMatchObject({ role: 'reviewer' });
    const refused = await mcp.callTool({
      name: 'start_run',
      arguments: { requirement: REQUIREMENT, template: 'design' },
    });
    expect(refused.isError).toBe(true);
    expect(JSON.stringify(refused.content)).toContain('your role (reviewer) may not do this');
    // The same session now has what a reviewer has: reading runs still works.
    const { runId } = first.structuredContent as { runId: string };
    const read = await mcp.callTool({ name: 'get_run', arguments: { runId } });
    expect(read.isError).toBeFalsy();
  });

  it('closes an open event WebSocket when its user is disabled, and keeps the others open', async () => {
    const run = (await (
      await admin.post('/api/v1/runs', { requirement: REQUIREMENT, template: 'design' })
    ).json()) as Run;
    const { client: victim, id } = await createUser('disabled-dora', 'viewer');
    const { client: other } = await createUser('staying-sam', 'viewer');
    const doomed = eventSocket(h.url, run.id, victim.token);
    const staying = eventSocket(h.url, run.id, other.token);
    await Promise.all([doomed.opened, staying.opened]);
    await until('events on the socket', async () => (doomed.messages.length > 0 ? true : undefined));

    const disabledAt = Date.now();
    await admin.json(`/api/v1/users/${id}`, { method: 'PATCH', body: { disabled: true } });
    const closed = await doomed.closed;
    expect(closed.code).toBe(1008);
    expect(closed.reason).toContain('disabled');
    expect(closed.at - disabledAt).toBeLessThan(2_000);
    // A reconnect with the same token is refused at the upgrade.
    await expect(eventSocket(h.url, run.id, victim.token).opened).rejects.toThrow(/401/);
    expect(staying.ws.readyState).toBe(WebSocket.OPEN);
    staying.ws.close();
  });

  it('closes an event WebSocket when its session token expires', async () => {
    const short = await startHarness({ sessionTtlSeconds: 2 }, h.home);
    try {
      const run = (await (
        await admin.post('/api/v1/runs', { requirement: REQUIREMENT, template: 'design' })
      ).json()) as Run;
      const session = await login(short.url, 'admin', ADMIN_PASSWORD);
      const socket = eventSocket(short.url, run.id, session.token);
      await socket.opened;
      const openedAt = Date.now();
      const closed = await socket.closed;
      expect(closed.code).toBe(1008);
      expect(closed.reason).toContain('expired');
      expect(closed.at - openedAt).toBeLessThan(3_500);
    } finally {
      await short.server.close();
      await short.runtime.close();
    }
  });
});

describe('password hashing (issue 18: scrypt N=2^14)', () => {
  it('still accepts a password hashed with the old parameters, and rehashes it with the current ones at login', async () => {
    const users = new UserStore(h.runtime.store.db);
    const salt = randomBytes(16);
    const oldKey = scryptSync('old-hash-password', salt, 32, { N: 2 ** 14, r: 8, p: 1 });
    const oldHash = ['scrypt', 2 ** 14, 8, 1, salt.toString('base64url'), oldKey.toString('base64url')].join(
      '$',
    );
    const user = await users.insertUser({ username: 'olden', role: 'viewer', passwordHash: oldHash });

    const wrong = await fetch(`${h.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'olden', password: 'not-it' }),
    });
    expect(wrong.status).toBe(401);
    expect((await users.getUser(user.id))?.passwordHash).toBe(oldHash);

    await login(h.url, 'olden', 'old-hash-password');
    const upgraded = (await users.getUser(user.id))?.passwordHash ?? '';
    expect(upgraded.split('$').slice(0, 4)).toEqual(['scrypt', String(2 ** 15), '8', '3']);
    await login(h.url, 'olden', 'old-hash-password');
    expect((await users.getUser(user.id))?.passwordHash).toBe(upgraded);
  });
});

describe('session refresh (issue 18: refresh tokens were unlimited)', () => {
  const refresh = (token: string) =>
    fetch(`${h.url}/api/v1/auth/refresh`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  const claims = (t: string) =>
    JSON.parse(Buffer.from(t.split('.')[1]!, 'base64url').toString()) as { auth_time: number };

  it('keeps the login time across refreshes, and refuses a session older than its cap', async () => {
    // Tokens signed with the server's own secret: the login route's rate limit is spent above.
    const users = new UserStore(h.runtime.store.db);
    const issuer = new Authenticator(loadOrCreateSecret(h.home), users, 900);
    const adminUser = (await users.getUserByName('admin'))!;
    const session = await issuer.issue(adminUser, Math.floor(Date.now() / 1000) - 3600);
    const first = await refresh(session.token);
    expect(first.status).toBe(200);
    const { token } = (await first.json()) as { token: string };
    expect(claims(token).auth_time).toBe(claims(session.token).auth_time);

    // An attacker holding a token refreshes it forever: a valid, unexpired token whose session
    // began longer ago than the cap is refused, and so is every refresh after it.
    const stale = await issuer.issue(adminUser, Math.floor(Date.now() / 1000) - MAX_SESSION_SECONDS - 60);
    const me = await fetch(`${h.url}/api/v1/auth/me`, {
      headers: { authorization: `Bearer ${stale.token}` },
    });
    expect(me.status).toBe(200);
    const refused = await refresh(stale.token);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { detail: string }).detail).toMatch(/log in again/);
  });
});
