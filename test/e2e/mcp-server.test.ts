import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, REPO } from '../helpers/cli.js';

let home: string;
let client: Client | undefined;
afterEach(async () => {
  await client?.close();
  client = undefined;
  await rm(home, { recursive: true, force: true });
});

async function call<T>(name: string, args: Record<string, unknown>): Promise<T> {
  const result = await client!.callTool({ name, arguments: args });
  if (result.isError) throw new Error(JSON.stringify(result.content));
  return result.structuredContent as T;
}

async function until<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('powerauto mcp', () => {
  it('lets an MCP client in another process drive a run: start, approve every pending gate, read the result', async () => {
    home = await mkdtemp(join(tmpdir(), 'powerauto-mcp-'));
    client = new Client({ name: 'e2e-assistant', version: '1.0.0' });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [CLI, 'mcp'],
        cwd: REPO,
        env: { ...(process.env as Record<string, string>), POWERAUTO_HOME: home },
        stderr: 'pipe',
      }),
    );
    const tools = (await client.listTools()).tools.map((t) => t.name).sort();
    expect(tools).toEqual([
      'approve_gate',
      'create_project',
      'get_artifact',
      'get_run',
      'list_pending_approvals',
      'reject_gate',
      'rollback_run',
      'start_run',
    ]);

    const { runId } = await call<{ runId: string }>('start_run', {
      requirement:
        'A clinic service where patients book appointments with a doctor. Doctors list their appointments.',
      template: 'design',
    });
    const approved: string[] = [];
    const final = await until(async () => {
      const run = await call<{ status: string }>('get_run', { runId });
      if (run.status === 'succeeded' || run.status === 'failed') return run;
      if (run.status !== 'waiting_approval') return undefined;
      const { pending } = await call<{ pending: { runId: string; gate: string; metrics: unknown }[] }>(
        'list_pending_approvals',
        { runId },
      );
      for (const gate of pending) {
        expect(gate.metrics).not.toBeNull();
        await call('approve_gate', { runId, gate: gate.gate, comment: 'approved by the assistant' });
        approved.push(gate.gate);
      }
      return undefined;
    }, 'the run to finish');

    expect(final.status).toBe('succeeded');
    expect(approved).toEqual(['requirements', 'architecture']);
    const artifact = await call<{ stage: string; content: { api: { openapi: string } } }>('get_artifact', {
      runId,
      stage: 'architecture',
    });
    expect(artifact.content.api.openapi).toBe('3.1.0');

    const refused = await client.callTool({
      name: 'approve_gate',
      arguments: { runId, gate: 'requirements' },
    });
    expect(refused.isError).toBe(true);
    expect(JSON.stringify(refused.content)).toMatch(/CONFLICT: gate requirements .* is not waiting/);
  });
});
