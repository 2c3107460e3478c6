import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { expect, it } from 'vitest';
import { createServer } from './server.js';

it('serves the deployment tools over MCP with the contract schemas, refusing bad input', async () => {
  const home = await mkdtemp(join(tmpdir(), 'pa-deploy-mcp-'));
  const previous = process.env.POWERAUTO_HOME;
  process.env.POWERAUTO_HOME = home;
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const server = createServer();
  await server.connect(serverSide);
  const client = new Client({ name: 'test', version: '0' });
  try {
    await client.connect(clientSide);
    const stop = await client.callTool({
      name: 'deploy_stop',
      arguments: {},
      _meta: { 'powerauto/idempotencyKey': 'r:s:1' },
    });
    expect(stop.structuredContent).toEqual({
      stopped: false,
      metrics: { environmentsStopped: 0, processesStopped: 0 },
    });
    const rollback = await client.callTool({
      name: 'deploy_rollback',
      arguments: { environment: 'staging' },
    });
    expect(rollback.isError).toBe(true);
    expect(JSON.stringify(rollback.content)).toContain('nothing has been deployed to staging');
  } finally {
    await client.close();
    await server.close();
    if (previous === undefined) delete process.env.POWERAUTO_HOME;
    else process.env.POWERAUTO_HOME = previous;
    await rm(home, { recursive: true, force: true });
  }
});
