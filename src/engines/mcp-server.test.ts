import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, expect, it } from 'vitest';
import { REPO_ROOT } from '../../test/fixtures/engines/support.js';
import { ENGINE_CONTRACTS } from '../contracts/engines.js';
import { BadInputError } from '../contracts/errors.js';
import type { Brain, EngineToolContext } from './brain.js';
import { createEngineServer } from './mcp-server.js';

let client: Client | undefined;
afterEach(async () => {
  await client?.close();
  client = undefined;
});

async function connect(brain: Brain): Promise<Client> {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await createEngineServer('monitoring', brain).connect(serverSide);
  client = new Client({ name: 'test', version: '0' });
  await client.connect(clientSide);
  return client;
}

it('publishes every contract tool with input and output schemas', async () => {
  const c = await connect({});
  const { tools } = await c.listTools();
  expect(tools.map((t) => t.name).sort()).toEqual(Object.keys(ENGINE_CONTRACTS.monitoring).sort());
  const stop = tools.find((t) => t.name === 'monitor_stop')!;
  expect(stop.inputSchema.properties).toHaveProperty('environment');
  expect(stop.outputSchema?.required).toEqual(['stopped', 'metrics']);
});

it('answers "not implemented" as a tool error, never with output', async () => {
  const c = await connect({});
  const result = (await c.callTool({
    name: 'monitor_stop',
    arguments: { environment: 'staging' },
  })) as CallToolResult;
  expect(result.isError).toBe(true);
  expect(result.structuredContent).toBeUndefined();
  expect(result.content).toEqual([
    {
      type: 'text',
      text: 'NOT_IMPLEMENTED: monitor_stop is not implemented yet by the offline monitoring engine',
    },
  ]);
  expect(result._meta).toEqual({ 'powerauto/errorCode': 'NOT_IMPLEMENTED' });
});

it('turns handler errors into tool errors with code and message, no stack', async () => {
  const c = await connect({
    async monitor_stop() {
      throw new BadInputError('environment is not deployed');
    },
    async monitor_report() {
      throw new TypeError('boom');
    },
  });
  const bad = (await c.callTool({
    name: 'monitor_stop',
    arguments: { environment: 'staging' },
  })) as CallToolResult;
  expect(bad).toMatchObject({
    isError: true,
    content: [{ type: 'text', text: 'BAD_INPUT: environment is not deployed' }],
  });
  const internal = (await c.callTool({
    name: 'monitor_report',
    arguments: { environment: 'staging' },
  })) as CallToolResult;
  expect(internal.content).toEqual([{ type: 'text', text: 'INTERNAL: boom' }]);
  expect(JSON.stringify(internal)).not.toMatch(/\n\s+at /);
});

it('gives the handler the idempotency key, progress and the abort signal', async () => {
  let seen: EngineToolContext | undefined;
  let aborted = false;
  const c = await connect({
    async monitor_stop(_input, ctx) {
      seen = ctx;
      await ctx.progress(1, 2, 'half');
      await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
      aborted = ctx.signal.aborted;
      return { stopped: false, metrics: {} };
    },
  });
  const controller = new AbortController();
  const progress: unknown[] = [];
  const pending = c.callTool(
    {
      name: 'monitor_stop',
      arguments: { environment: 'staging' },
      _meta: { 'powerauto/idempotencyKey': 'r:s:1' },
    },
    undefined,
    { signal: controller.signal, onprogress: (p) => progress.push(p) },
  );
  await new Promise((resolve) => setTimeout(resolve, 20));
  controller.abort();
  await expect(pending).rejects.toThrow();
  await new Promise((resolve) => setTimeout(resolve, 20));
  expect(seen?.idempotencyKey).toBe('r:s:1');
  expect(progress).toEqual([{ progress: 1, total: 2, message: 'half' }]);
  expect(aborted).toBe(true);
});

it('runs as a script on stdio and refuses an unknown role with exit code 2', async () => {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: ['--import', 'tsx', join(REPO_ROOT, 'src/engines/main.ts'), 'deployment'],
    cwd: REPO_ROOT,
    stderr: 'pipe',
  });
  client = new Client({ name: 'test', version: '0' });
  await client.connect(transport);
  const { tools } = await client.listTools();
  expect(tools.map((t) => t.name).sort()).toEqual(Object.keys(ENGINE_CONTRACTS.deployment).sort());

  const bad = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(REPO_ROOT, 'src/engines/main.ts'), 'astrology'],
    {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    },
  );
  expect(bad.status).toBe(2);
  expect(bad.stderr).toContain('ROLE is one of requirements');
});
