import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, type Harness, login, startHarness } from './api-harness.js';

let h: Harness;
const open: Client[] = [];
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await Promise.allSettled(open.map((c) => c.close()));
  await h?.close();
});

async function userToken(username: string, role: string): Promise<string> {
  const admin = await login(h.url, 'admin', ADMIN_PASSWORD);
  const password = `${username}-password-123`;
  expect((await admin.post('/api/v1/users', { username, role, password })).status).toBe(201);
  return (await login(h.url, username, password)).token;
}

async function mcpAs(token: string): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(new URL('/mcp', h.url), {
    requestInit: { headers: { authorization: `Bearer ${token}` } },
  });
  const client = new Client({ name: 'mcp-http-test', version: '1.0.0' });
  await client.connect(transport);
  open.push(client);
  return { client, transport };
}

async function waitingGate(client: Client, runId: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const run = await client.callTool({ name: 'get_run', arguments: { runId } });
    if ((run.structuredContent as { status: string }).status === 'waiting_approval') return;
    if (Date.now() > deadline) throw new Error('the run never reached a gate');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the orchestrator over MCP Streamable HTTP', () => {
  it('acts as the signed-in user and holds to the same roles: a maintainer may start runs but not decide gates', async () => {
    const maintainer = await mcpAs(await userToken('mona', 'maintainer'));
    const started = await maintainer.client.callTool({
      name: 'start_run',
      arguments: { requirement: 'A todo service where users add tasks.', template: 'design' },
    });
    expect(started.isError).toBeFalsy();
    const { runId } = started.structuredContent as { runId: string };
    await waitingGate(maintainer.client, runId);

    const refused = await maintainer.client.callTool({ name: 'approve_gate', arguments: { runId } });
    expect(refused.isError).toBe(true);
    expect(JSON.stringify(refused.content)).toContain(
      'FORBIDDEN: your role (maintainer) may not do this: it needs the gates:decide permission',
    );

    const reviewer = await mcpAs(await userToken('rita', 'reviewer'));
    const approved = await reviewer.client.callTool({ name: 'approve_gate', arguments: { runId } });
    expect(approved.isError).toBeFalsy();
    const audit = h.runtime.store.listAudit();
    const decisions = (await audit).filter(
      (a) => a.action === 'gate.approve' && a.target === `${runId}/gate:requirements`,
    );
    expect(decisions.map((a) => a.actor)).toEqual(['rita']);
    const creation = (await audit).find((a) => a.action === 'run.create' && a.target === runId);
    expect(creation?.actor).toBe('mona');
  });

  it("does not let one user ride another user's session", async () => {
    const owner = await mcpAs(await userToken('olga', 'reviewer'));
    const sessionId = owner.transport.sessionId;
    expect(sessionId).toBeDefined();
    const intruderToken = await userToken('ivan', 'reviewer');
    const res = await fetch(new URL('/mcp', h.url), {
      method: 'POST',
      headers: {
        authorization: `Bearer ${intruderToken}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-session-id': sessionId!,
        'mcp-protocol-version': '2025-11-25',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('no valid MCP session');
  });
});
