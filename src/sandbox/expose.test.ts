import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../engines/deployment/plugins/local-process/net.js';
import { exposePort } from './expose.js';
import { Sandbox } from './sandbox.js';

let dir: string;
let sandbox: Sandbox;
let hostSocket: Server;
const hostHits: number[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pa-expose-'));
  sandbox = await Sandbox.create({ workspace: dir });
  hostSocket = createServer((s) => {
    hostHits.push(1);
    s.destroy();
  });
  await new Promise<void>((resolve) => hostSocket.listen(join(dir, 'host.sock'), () => resolve()));
});

afterAll(async () => {
  hostSocket.close();
  await sandbox.dispose();
  await rm(dir, { recursive: true, force: true });
});

/** Opens a connection to the exposed port and says whether it was closed without an answer. */
function dropped(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => socket.write('GET / HTTP/1.0\r\n\r\n'));
    socket.once('data', () => resolve(false));
    socket.once('close', () => resolve(true));
    socket.once('error', () => resolve(true));
  });
}

describe('exposePort', () => {
  it('never connects through a symlink the jail planted in place of its relay socket', async () => {
    await symlink(join(dir, 'host.sock'), join(sandbox.tmpDir, 'service.sock'));
    const port = await freePort();
    const exposed = await exposePort(sandbox, port, ['true']);
    try {
      expect(await dropped(port)).toBe(true);
      expect(hostHits).toEqual([]);
      expect(exposed.connected).toBe(false);
    } finally {
      await exposed.close();
    }
  });
});
