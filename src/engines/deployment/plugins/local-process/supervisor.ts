/**
 * The detached supervisor of one environment: `node supervisor.js ENV_DIR` (or via `--import tsx`
 * from source). It owns the environment's stable port (the reverse proxy), the release processes
 * and the hosted watcher, and outlives the engine that started it. Control is a loopback HTTP API
 * guarded by the token in launch.json; it stops everything and exits on `POST /stop` or SIGTERM.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { errorMessage } from '../../../../contracts/errors.js';
import { readJson, writeJsonAtomic } from '../../../shared/files.js';
import { EnvState } from '../../../shared/supervisor-api.js';
import { EnvironmentSupervisor } from './environment.js';
import { LaunchConfig, MonitorStartRequest, RollbackRequest, StartReleaseRequest } from './protocol.js';
import { ReverseProxy } from './proxy.js';

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 1_000_000) throw new Error('control request too large');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  return text.length === 0 ? {} : JSON.parse(text);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function tokensEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && x.equals(y);
}

async function main(dir: string): Promise<void> {
  const launch = await readJson(join(dir, 'launch.json'), LaunchConfig);
  if (launch === undefined) throw new Error(`no launch.json in ${dir}`);
  const previous = await readJson(join(dir, 'state.json'), EnvState).catch(() => undefined);
  const proxy = new ReverseProxy();
  await proxy.listen(launch.proxyPort);
  const env = new EnvironmentSupervisor(dir, launch, proxy, previous);

  let exiting = false;
  const shutdown = async (code: number): Promise<void> => {
    if (exiting) return;
    exiting = true;
    const bail = setTimeout(() => process.exit(code), 30_000);
    bail.unref();
    try {
      await env.stopAll();
    } finally {
      await proxy.close().catch(() => undefined);
      control.closeAllConnections();
      process.exit(code);
    }
  };

  const routes: Record<string, (body: unknown) => Promise<unknown>> = {
    'GET /status': async () => ({ ok: true, reason: null, state: env.state }),
    'POST /deploy': async (body) => env.deploy(StartReleaseRequest.parse(body)),
    'POST /rollback': async (body) => env.rollback(RollbackRequest.parse(body).reason),
    'POST /monitor/start': async (body) => {
      await env.startMonitor(MonitorStartRequest.parse(body));
      return { ok: true, reason: null, state: env.state };
    },
    'POST /monitor/stop': async () => {
      await env.stopMonitor();
      await env.persist();
      return { ok: true, reason: null, state: env.state };
    },
    'POST /stop': async () => {
      const result = await env.stopAll();
      setImmediate(() => void shutdown(0));
      return result;
    },
  };

  const control = createServer((req, res) => {
    const auth = req.headers.authorization ?? '';
    if (!tokensEqual(auth, `Bearer ${launch.token}`)) {
      send(res, 401, { ok: false, reason: 'bad token' });
      return;
    }
    const handler = routes[`${req.method} ${(req.url ?? '/').split('?')[0]}`];
    if (handler === undefined) {
      send(res, 404, { ok: false, reason: 'no such command' });
      return;
    }
    readBody(req)
      .then((body) => handler(body))
      .then((result) => send(res, 200, result))
      .catch((err: unknown) => {
        const status = err instanceof z.ZodError || err instanceof SyntaxError ? 400 : 500;
        send(res, status, { ok: false, reason: errorMessage(err) });
      });
  });
  await new Promise<void>((ok, fail) => {
    control.once('error', fail);
    control.listen(0, '127.0.0.1', () => ok());
  });
  const { port } = control.address() as AddressInfo;

  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => void shutdown(0));
  process.on('uncaughtException', (err) => {
    process.stderr.write(`supervisor: ${errorMessage(err)}\n`);
  });

  await env.recover();
  // Written last: its presence with a live pid is the engine's signal that this supervisor is ready.
  await writeJsonAtomic(join(dir, 'supervisor.json'), {
    pid: process.pid,
    controlPort: port,
    proxyPort: launch.proxyPort,
    token: launch.token,
    startedAt: new Date().toISOString(),
  });
  process.stdout.write(
    `${new Date().toISOString()} supervisor ${process.pid} ready: proxy ${launch.proxyPort}, control ${port}\n`,
  );
}

const dirArg = process.argv[2];
if (dirArg === undefined) {
  process.stderr.write('usage: supervisor ENV_DIR\n');
  process.exit(2);
}
main(resolve(dirArg)).catch((err: unknown) => {
  process.stderr.write(`supervisor failed to start: ${errorMessage(err)}\n`);
  process.exit(1);
});
