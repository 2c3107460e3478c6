/**
 * API gateway benchmark.
 * 1. Run-status reads (GET /api/v1/runs/:id/status, authenticated, rate-limited, zod-checked) at 50
 *    concurrent connections, against a bare Fastify route returning a constant (same machine, same run).
 * 2. Event delivery to 500 WebSocket clients watching one run: real events (a gate rejected with
 *    feedback re-runs the requirements engine), latency from the event's commit-time stamp to arrival,
 *    against a bare WebSocket broadcast of a timestamped message to 500 clients.
 * Prints one JSON line.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import websocket from '@fastify/websocket';
import autocannon from 'autocannon';
import Fastify from 'fastify';
import type WebSocket from 'ws';
import { startApiServer } from '../src/api/server.js';
import { loadConfig } from '../src/config/index.js';
import { startRuntime } from '../src/orchestrator/runtime.js';

const CONNECTIONS = 50;
const DURATION_S = 5;
const WS_CLIENTS = 500;
const REQUIREMENT =
  'A library service where librarians add books with title and author, and members borrow them.';

const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;

function p99(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? Number.NaN;
}

async function load(url: string, headers: Record<string, string> = {}) {
  // The load generator runs in a worker thread so it does not share the server's event loop.
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: DURATION_S,
    headers,
    workers: 1,
  });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${url}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
  return { rps: Math.round(result.requests.average), p99Ms: result.latency.p99 };
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const WebSocket = require(workerData.wsPath);
const latencies = [];
const sockets = [];
(async () => {
  // Connect in batches so the accept queue of a busy 2-core machine is not the thing measured.
  for (let i = 0; i < workerData.n; i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, workerData.n - i) }, () => new Promise((resolve, reject) => {
      const ws = new WebSocket(workerData.url);
      ws.on('message', (data) => {
        const msg = JSON.parse(String(data));
        // [arrival, the message's own stamp, its seq]: the parent computes latencies.
        latencies.push([Date.now(), msg.at ?? Date.parse(msg.createdAt), msg.seq ?? -1]);
      });
      ws.once('open', resolve);
      ws.once('error', reject);
      sockets.push(ws);
    })));
  }
  parentPort.postMessage({ ready: true });
})().catch((err) => parentPort.postMessage({ error: String(err) }));
parentPort.on('message', () => {
  for (const s of sockets) s.terminate();
  parentPort.postMessage({ latencies });
});
`;

/**
 * N WebSocket clients in a worker thread (not on the server's event loop); each records, per message,
 * now minus the message's own timestamp (`at`, or the event's `createdAt`).
 */
async function clientsInWorker(
  url: string,
  n: number,
): Promise<{ finish(): Promise<[number, number, number][]> }> {
  const wsPath = createRequire(import.meta.url).resolve('ws');
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { url, n, wsPath } });
  await new Promise<void>((resolve, reject) => {
    worker.once('message', (m: { ready?: boolean; error?: string }) =>
      m.ready ? resolve() : reject(new Error(m.error)),
    );
    worker.once('error', reject);
  });
  return {
    async finish() {
      const result = new Promise<[number, number, number][]>((resolve) =>
        worker.once('message', (m: { latencies: [number, number, number][] }) => resolve(m.latencies)),
      );
      worker.postMessage('stop');
      const latencies = await result;
      await worker.terminate();
      return latencies;
    },
  };
}

async function baseline() {
  const app = Fastify({ logger: false });
  await app.register(websocket);
  app.get('/constant', async () => ({ status: 'ok' }));
  const clients = new Set<WebSocket>();
  app.get('/ws', { websocket: true }, (socket) => {
    clients.add(socket);
    socket.on('close', () => clients.delete(socket));
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as { port: number };
  const reads = await load(`http://127.0.0.1:${port}/constant`);
  const listeners = await clientsInWorker(`ws://127.0.0.1:${port}/ws`, WS_CLIENTS);
  for (let i = 0; i < 40; i++) {
    const message = JSON.stringify({ at: Date.now(), seq: i, padding: 'x'.repeat(150) });
    for (const client of clients) client.send(message);
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, 300));
  const latencies = (await listeners.finish()).map(([arrived, at]) => arrived - at);
  await app.close();
  return { reads, deliveryP99Ms: p99(latencies), deliveries: latencies.length };
}

async function gateway() {
  const home = mkdtempSync(join(tmpdir(), 'powerauto-bench-api-'));
  const runtime = await startRuntime(loadConfig({ POWERAUTO_HOME: home }));
  const password = 'bench-admin-password';
  const server = await startApiServer(runtime, {
    port: 0,
    adminPassword: password,
    // The limiter stays in the path (as in production), set high enough not to refuse the load.
    rateLimit: { max: 10_000_000, timeWindowMs: 60_000 },
  });
  try {
    const login = await fetch(`${server.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password }),
    });
    const { token } = (await login.json()) as { token: string };
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const run = (await (
      await fetch(`${server.url}/api/v1/runs`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ requirement: REQUIREMENT, template: 'design' }),
      })
    ).json()) as { id: string };
    const waitForGate = async () => {
      for (;;) {
        const s = (await (
          await fetch(`${server.url}/api/v1/runs/${run.id}/status`, { headers: auth })
        ).json()) as {
          steps: { key: string; status: string }[];
        };
        if (s.steps.find((x) => x.key === 'gate:requirements')?.status === 'waiting_approval') return;
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    await waitForGate();

    const reads = await load(`${server.url}/api/v1/runs/${run.id}/status`, {
      authorization: `Bearer ${token}`,
    });

    const since = (await runtime.store.eventsSince(run.id, 0)).at(-1)?.seq ?? 0;
    const wsUrl = `${server.url.replace('http', 'ws')}/api/v1/events?run=${run.id}&since=${since}&token=${token}`;
    // Publish time of each event, taken on the bus before the gateway's own listeners run.
    const published = new Map<number, number>();
    const off = runtime.orchestrator.bus.subscribe(run.id, (event) => published.set(event.seq, Date.now()));
    const watchers = await clientsInWorker(wsUrl, WS_CLIENTS);
    // Each rejection re-runs the requirements engine: real transitions, real commits, real fan-out.
    for (let round = 0; round < 8; round++) {
      await fetch(`${server.url}/api/v1/runs/${run.id}/gates/requirements/reject`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ feedback: `Members also need a due date (round ${round}).` }),
      });
      await waitForGate();
    }
    await new Promise((r) => setTimeout(r, 300));
    const events = (await runtime.store.eventsSince(run.id, since)).length;
    const arrivals = await watchers.finish();
    off();
    const latencies = arrivals.map(([arrived, , seq]) => arrived - (published.get(seq) ?? Number.NaN));
    const fromCommitStamp = arrivals.map(([arrived, stamp]) => arrived - stamp);
    if (latencies.length !== events * WS_CLIENTS)
      throw new Error(`expected ${events * WS_CLIENTS} deliveries, got ${latencies.length}`);
    return {
      reads,
      deliveryP99Ms: p99(latencies),
      commitToClientP99Ms: p99(fromCommitStamp),
      deliveries: latencies.length,
      events,
    };
  } finally {
    await server.close();
    await runtime.close();
    rmSync(home, { recursive: true, force: true });
  }
}

export default async function main(): Promise<void> {
  const started = performance.now();
  const base = await baseline();
  const api = await gateway();
  console.log(
    JSON.stringify({
      bench: 'api',
      statusReads: {
        connections: CONNECTIONS,
        durationSec: DURATION_S,
        requestsPerSec: api.reads.rps,
        p99Ms: api.reads.p99Ms,
        baselineRequestsPerSec: base.reads.rps,
        baselineP99Ms: base.reads.p99Ms,
        throughputRatio: round(api.reads.rps / base.reads.rps),
        p99Ratio: round(api.reads.p99Ms / Math.max(1, base.reads.p99Ms)),
      },
      eventDelivery: {
        clients: WS_CLIENTS,
        events: api.events,
        deliveries: api.deliveries,
        p99Ms: api.deliveryP99Ms,
        measured: 'bus publish (after commit) to arrival at the client',
        commitStampToClientP99Ms: api.commitToClientP99Ms,
        baselineP99Ms: base.deliveryP99Ms,
        p99Ratio: round(api.deliveryP99Ms / Math.max(1, base.deliveryP99Ms)),
      },
      targets: {
        statusReadsPerSecMin: 5_000,
        readsMet: api.reads.rps >= 5_000,
        deliveryP99MsMax: 50,
        deliveryMet: api.deliveryP99Ms < 50,
      },
      durationSec: round((performance.now() - started) / 1000, 1),
    }),
  );
}
