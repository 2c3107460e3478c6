import { lchown, writeFile } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { Sandbox } from './sandbox.js';

/**
 * Runs inside the sandbox as `node bridge.mjs SOCKET PATH_PREFIX -- COMMAND ARGS…`: listens on the
 * jail's own loopback, relays each connection to the Unix socket (the only way out of the private
 * network namespace), then runs COMMAND with `BASE_URL` pointing at that loopback port and exits
 * with its status. Plain JavaScript because it runs on the generated project's Node.
 */
export const BRIDGE_SOURCE = `
import { spawn } from 'node:child_process';
import { createConnection, createServer } from 'node:net';

const [socketPath, prefix, dashes, command, ...args] = process.argv.slice(2);
if (dashes !== '--' || !command) {
  process.stderr.write('usage: bridge.mjs SOCKET PATH_PREFIX -- COMMAND ARGS...\\n');
  process.exit(2);
}
const server = createServer((client) => {
  const upstream = createConnection(socketPath);
  client.pipe(upstream).pipe(client);
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
});
server.listen(0, '127.0.0.1', () => {
  const baseUrl = 'http://127.0.0.1:' + server.address().port + prefix;
  const child = spawn(command, args, { stdio: 'inherit', env: { ...process.env, BASE_URL: baseUrl } });
  child.on('error', (err) => {
    process.stderr.write(String(err) + '\\n');
    process.exit(1);
  });
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
});
`;

export interface TcpRelay {
  /** The Unix socket inside the sandbox's temp dir that reaches `target`. */
  socketPath: string;
  /** Path of the bridge script to run inside the sandbox. */
  bridgePath: string;
  close(): Promise<void>;
}

/**
 * Lets programs in `sandbox` reach exactly one TCP address (`url`'s host and port) and nothing else:
 * a Unix socket in the sandbox's temp dir relays to it (a filesystem socket crosses the network
 * namespace; the jail's network stays loopback-only). Pair with `BRIDGE_SOURCE` written to `bridgePath`.
 */
export async function relayInto(sandbox: Sandbox, url: URL): Promise<TcpRelay> {
  const socketPath = join(sandbox.tmpDir, 'relay.sock');
  const bridgePath = join(sandbox.tmpDir, 'bridge.mjs');
  await writeFile(bridgePath, BRIDGE_SOURCE);
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const sockets = new Set<Socket>();
  const server: Server = createServer((inner) => {
    const outer = createConnection(port, host);
    sockets.add(inner).add(outer);
    inner.pipe(outer).pipe(inner);
    const drop = () => {
      inner.destroy();
      outer.destroy();
      sockets.delete(inner);
      sockets.delete(outer);
    };
    inner.on('error', drop).on('close', drop);
    outer.on('error', drop).on('close', drop);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  // The jailed code runs as its own uid: the socket must be its to connect to.
  if (sandbox.uid !== null) await lchown(socketPath, sandbox.uid, sandbox.uid);
  return {
    socketPath,
    bridgePath,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
