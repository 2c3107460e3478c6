import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { processAlive, REPO_ROOT, waitFor } from '../../test/fixtures/engines/support.js';
import { createEngineServer } from '../engines/mcp-server.js';
import { MCPCoordinator } from './coordinator.js';
import type { EngineCallRecord } from './metrics.js';

/** The published filesystem MCP server from npm (a devDependency), run as a real child process. */
const FILESYSTEM_SERVER = join(
  REPO_ROOT,
  'node_modules',
  '@modelcontextprotocol',
  'server-filesystem',
  'dist',
  'index.js',
);

let dir: string;
let coordinator: MCPCoordinator | undefined;
beforeEach(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'pa-aux-')));
});
afterEach(async () => {
  await coordinator?.close();
  coordinator = undefined;
  rmSync(dir, { recursive: true, force: true });
});

it('connects @modelcontextprotocol/server-filesystem as an auxiliary server and calls its tools', async () => {
  writeFileSync(join(dir, 'hello.txt'), 'hello from the test\n');
  const records: EngineCallRecord[] = [];
  coordinator = await MCPCoordinator.start(
    {
      engines: [{ role: 'monitoring' }],
      auxiliary: [
        {
          name: 'fs',
          transport: { type: 'stdio', command: process.execPath, args: [FILESYSTEM_SERVER, dir] },
        },
      ],
    },
    { inprocServer: (role) => createEngineServer(role, {}), onCall: (r) => records.push(r) },
  );

  const fs = coordinator.describe().find((d) => d.name === 'fs');
  expect(fs).toMatchObject({
    kind: 'auxiliary',
    role: null,
    health: 'healthy',
    transport: { type: 'stdio' },
  });
  expect(fs?.tools).toEqual(expect.arrayContaining(['read_text_file', 'write_file', 'list_directory']));

  const read = await coordinator.callAuxiliaryTool('fs', 'read_text_file', { path: join(dir, 'hello.txt') });
  expect(read.isError).toBeFalsy();
  expect(read.structuredContent).toEqual({ content: 'hello from the test\n' });

  const written = await coordinator.callAuxiliaryTool('fs', 'write_file', {
    path: join(dir, 'out.txt'),
    content: 'written through the coordinator',
  });
  expect(written.isError).toBeFalsy();
  expect(readFileSync(join(dir, 'out.txt'), 'utf8')).toBe('written through the coordinator');

  // Outside its allowed directory the server refuses; the tool error comes back as a result.
  const refused = await coordinator.callAuxiliaryTool('fs', 'read_text_file', { path: '/etc/hostname' });
  expect(refused.isError).toBe(true);

  expect(records.map((r) => [r.role, r.server, r.tool, r.outcome])).toEqual([
    ['auxiliary', 'fs', 'read_text_file', 'ok'],
    ['auxiliary', 'fs', 'write_file', 'ok'],
    ['auxiliary', 'fs', 'read_text_file', 'tool_error'],
  ]);
  await expect(coordinator.callAuxiliaryTool('nope', 'x', {})).rejects.toMatchObject({ code: 'NOT_FOUND' });

  const pid = fs!.pid!;
  expect(processAlive(pid)).toBe(true);
  await coordinator.close();
  await waitFor('the filesystem server to exit', () => !processAlive(pid), 5_000);
});
