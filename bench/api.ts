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
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import websocket from '@fastify/websocket';
import autocannon from 'autocannon';
import Fastify from 'fastify';
import WebSocket from 'ws';
import { startApiServer } from '../src/api/server.js';
import { loadConfig } from '../src/config/index.js';
import type { RunEvent } from '../src/contracts/events.js';
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
  const result = await autocannon({ url, connections: CONNECTIONS, duration: DURATION_S, headers });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${url}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
  return { rps: Math.round(result.requests.average), p99Ms: result.latency.p99 };
}

async function connectAll(url: string, n: number, onMessage: (data: string) => void): Promise<WebSocket[]> {
  const sockets: WebSocket[] = [];
  // Connect in batches so the accept queue of a busy 2-core machine is not the thing measured.
  for (let i = 0; i < n; i += 50) {
    const batch = Array.from({ length: Math.min(50, n - i) }, () => {
      const ws = new WebSocket(url);
      ws.on('message', (data) => onMessage(String(data)));
      sockets.push(ws);
      return new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      });
    });
    await Promise.all(batch);
  }
  return sockets;
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
  const latencies: number[] = [];
  const sockets = await connectAll(`ws://127.0.0.1:${port}/ws`, WS_CLIENTS, (data) => {
    latencies.push(Date.now() - (JSON.parse(data) as { at: number }).at);
  });
  for (let i = 0; i < 40; i++) {
    const message = JSON.stringify({ at: Date.now(), seq: i, padding: 'x'.repeat(150) });
    for (const client of clients) client.send(message);
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, 300));
  for (const s of sockets) s.terminate();
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

    const latencies: number[] = [];
    const since = (await runtime.store.eventsSince(run.id, 0)).at(-1)?.seq ?? 0;
    const wsUrl = `${server.url.replace('http', 'ws')}/api/v1/events?run=${run.id}&since=${since}&token=${token}`;
    const sockets = await connectAll(wsUrl, WS_CLIENTS, (data) => {
      latencies.push(Date.now() - Date.parse((JSON.parse(data) as RunEvent).createdAt));
    });
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
    for (const s of sockets) s.terminate();
    if (latencies.length !== events * WS_CLIENTS)
      throw new Error(`expected ${events * WS_CLIENTS} deliveries, got ${latencies.length}`);
    return { reads, deliveryP99Ms: p99(latencies), deliveries: latencies.length, events };
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
