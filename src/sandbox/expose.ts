import { lstatSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { z } from 'zod';
import type { Sandbox } from './sandbox.js';

const ServiceExit = z.object({
  code: z.number().int().nullable(),
  signal: z
    .string()
    .regex(/^SIG[A-Z0-9]+$/)
    .nullable()
    .transform((s) => s as NodeJS.Signals | null),
});

/**
 * Runs inside the sandbox as `node service-relay.mjs CONFIG` (CONFIG: `{socket, port, command}`):
 * starts COMMAND, listens on the Unix socket and relays each connection to `127.0.0.1:port` of the
 * jail's own loopback, where the service listens. It is the jail's first process: it forwards
 * termination signals to the service (the first process of a PID namespace gets only the signals
 * it handles) and exits with the service's status. Plain JavaScript: it runs on the release's Node.
 */
export const SERVICE_RELAY_SOURCE = `
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { constants } from 'node:os';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const [command, ...args] = config.command;
const child = spawn(command, args, { stdio: 'inherit' });
child.on('error', (err) => {
  process.stderr.write('service relay: ' + err.message + '\\n');
  process.exit(127);
});
child.on('exit', (code, signal) => {
  // The host cannot see how the service ended (this relay's status is what it sees): say it.
  try {
    writeFileSync(config.exitFile, JSON.stringify({ code, signal }));
  } catch {}
  process.exit(code ?? 128 + (constants.signals[signal] ?? 0));
});
for (const name of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(name, () => child.kill(name));
rmSync(config.socket, { force: true });
const server = createServer((outer) => {
  const inner = createConnection(config.port, '127.0.0.1');
  outer.pipe(inner).pipe(outer);
  const drop = () => {
    outer.destroy();
    inner.destroy();
  };
  outer.on('error', drop).on('close', drop);
  inner.on('error', drop).on('close', drop);
});
server.on('error', (err) => process.stderr.write('service relay: ' + err.message + '\\n'));
server.listen(config.socket);
`;

export interface ExposedPort {
  /** What to run in the sandbox: `node relayPath configPath`. */
  relayPath: string;
  configPath: string;
  /** How the service ended, as the relay reported it (the jail wrote it: informational only). */
  serviceExit(): { code: number | null; signal: NodeJS.Signals | null } | null;
  /** Whether the jail's relay socket has been taken over (the host side can reach the service). */
  readonly connected: boolean;
  close(): Promise<void>;
}

/**
 * Makes `port` of the sandbox's private loopback reachable as `127.0.0.1:port` of the host, and
 * nothing else: the host listens there and relays each connection to a Unix socket the jail's
 * relay (SERVICE_RELAY_SOURCE) opens in its temp dir. The jail's network namespace stays
 * loopback-only, so the service can reach neither the host's loopback nor any other address.
 *
 * The jail owns its temp dir and could plant a symlink to some host socket there, so the host
 * never connects through it: once a socket of the jail's uid appears, it is renamed into a
 * directory only the orchestrator can reach (a connection follows the inode, not the name) and
 * checked again there.
 */
export async function exposePort(sandbox: Sandbox, port: number, command: string[]): Promise<ExposedPort> {
  const relayPath = join(sandbox.tmpDir, 'service-relay.mjs');
  const configPath = join(sandbox.tmpDir, 'service-relay.json');
  const offered = join(sandbox.tmpDir, 'service.sock');
  const privateDir = join(sandbox.runRoot, 'sock');
  const adopted = join(privateDir, 'service.sock');
  mkdirSync(privateDir, { mode: 0o700 });
  await writeFile(relayPath, SERVICE_RELAY_SOURCE);
  const exitFile = join(sandbox.tmpDir, 'service-exit.json');
  await writeFile(configPath, JSON.stringify({ socket: offered, port, command, exitFile }));

  const isJailSocket = (path: string): boolean => {
    const info = lstatSync(path, { throwIfNoEntry: false });
    return info?.isSocket() === true && (sandbox.uid === null || info.uid === sandbox.uid);
  };
  let ready = false;
  const adopt = (): boolean => {
    if (ready) return true;
    if (!isJailSocket(offered)) return false;
    try {
      renameSync(offered, adopted);
    } catch {
      return false;
    }
    // Whatever was renamed is now out of the jail's reach: check what it is.
    if (!isJailSocket(adopted)) {
      rmSync(adopted, { force: true });
      return false;
    }
    ready = true;
    return true;
  };

  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    if (!adopt()) {
      client.destroy();
      return;
    }
    const upstream = createConnection(adopted);
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    relayPath,
    configPath,
    serviceExit: () => {
      try {
        const info = lstatSync(exitFile, { throwIfNoEntry: false });
        if (info === undefined || !info.isFile() || info.size > 200) return null;
        return ServiceExit.parse(JSON.parse(readFileSync(exitFile, 'utf8')));
      } catch {
        return null;
      }
    },
    get connected() {
      return ready;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
