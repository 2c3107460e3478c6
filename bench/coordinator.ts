/**
 * MCPCoordinator overhead and scaling.
 * 1. The same no-op tool called directly with a bare SDK Client and through the coordinator, over
 *    in-memory, stdio and Streamable HTTP; sequentially and with 64 calls in flight.
 *    Target: coordinator p50 at most 1.10x direct on every transport.
 * 2. A tool that waits 20 ms on stdio replicas (maxConcurrency 4 each), 64 in flight: 4 replicas vs 1.
 *    Target: >= 3.5x the throughput.
 * Prints one JSON line.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { EnginesConfigInput } from '../src/config/engines.js';
import type { ToolCall } from '../src/contracts/executor.js';
import { MCPCoordinator } from '../src/coordinator/coordinator.js';
import { createEngineServer } from '../src/engines/mcp-server.js';
import { REPO_ROOT } from '../test/fixtures/engines/support.js';
import { noopBrain } from './_fixtures/noop-engine.js';

const ENGINE_SCRIPT = join(REPO_ROOT, 'bench', '_fixtures', 'noop-engine.ts');
const COMPILED_SRC = join(REPO_ROOT, 'bench', '_fixtures', 'compiled-src.mjs');
/** Engine processes run the compiled product code too (see compiled-src.mjs). */
const tsxArgs = (...extra: string[]): string[] => [
  '--import',
  'tsx',
  '--import',
  COMPILED_SRC,
  ENGINE_SCRIPT,
  ...extra,
];
const ARGS = { environment: 'staging' };

type CallOnce = (i: number) => Promise<unknown>;

interface Stats {
  p50Ms: number;
  p99Ms: number;
  callsPerSec: number;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

const round = (n: number, digits = 3): number => Number(n.toFixed(digits));

/** `total` calls with `inFlight` workers; latencies per call. */
async function measure(
  call: CallOnce,
  total: number,
  inFlight: number,
): Promise<{ latencies: number[]; wallMs: number }> {
  const latencies: number[] = [];
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < total) {
        const i = next++;
        const t0 = performance.now();
        await call(i);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return { latencies, wallMs: performance.now() - start };
}

/**
 * Alternates direct and coordinator in blocks so drift on a shared machine hits both alike. Besides
 * the p50 of all calls pooled, reports the median over blocks of (coordinator p50 / direct p50) in the
 * same block pair: a burst of load from elsewhere then spoils one pair's ratio, not the pooled figures.
 */
async function compare(
  direct: CallOnce,
  coordinated: CallOnce,
  total: number,
  inFlight: number,
  blocks: number,
) {
  const per = Math.ceil(total / blocks);
  await measure(direct, Math.min(200, per), inFlight); // warm-up
  await measure(coordinated, Math.min(200, per), inFlight);
  const lat = { direct: [] as number[], coordinator: [] as number[] };
  const wall = { direct: 0, coordinator: 0 };
  const blockRatios: number[] = [];
  for (let b = 0; b < blocks; b++) {
    const order = b % 2 === 0 ? (['direct', 'coordinator'] as const) : (['coordinator', 'direct'] as const);
    const blockP50 = { direct: 0, coordinator: 0 };
    for (const which of order) {
      const r = await measure(which === 'direct' ? direct : coordinated, per, inFlight);
      lat[which].push(...r.latencies);
      wall[which] += r.wallMs;
      blockP50[which] = quantile(
        [...r.latencies].sort((x, y) => x - y),
        0.5,
      );
    }
    blockRatios.push(blockP50.coordinator / blockP50.direct);
  }
  // Ratios from the unrounded figures: an in-process call takes ~0.02 ms, so a p50 rounded to
  // 0.001 ms would move its ratio by up to 5%.
  const exact = (which: 'direct' | 'coordinator'): Stats => {
    const sorted = [...lat[which]].sort((a, b) => a - b);
    return {
      p50Ms: quantile(sorted, 0.5),
      p99Ms: quantile(sorted, 0.99),
      callsPerSec: (sorted.length / wall[which]) * 1000,
    };
  };
  const shown = (s: Stats): Stats => ({
    p50Ms: round(s.p50Ms, 4),
    p99Ms: round(s.p99Ms, 4),
    callsPerSec: Math.round(s.callsPerSec),
  });
  const d = exact('direct');
  const c = exact('coordinator');
  blockRatios.sort((x, y) => x - y);
  return {
    direct: shown(d),
    coordinator: shown(c),
    p50Ratio: round(c.p50Ms / d.p50Ms),
    p50RatioBlockMedian: round(quantile(blockRatios, 0.5)),
    p99Ratio: round(c.p99Ms / d.p99Ms),
    throughputRatio: round(c.callsPerSec / d.callsPerSec),
  };
}

function toolCall(i: number): ToolCall {
  return {
    role: 'monitoring',
    tool: 'monitor_stop',
    input: ARGS,
    runId: 'bench',
    stepKey: 'noop',
    attempt: i,
    idempotencyKey: `bench:noop:${i}`,
  };
}

function directCaller(client: Client): CallOnce {
  return (i) =>
    client.callTool({
      name: 'monitor_stop',
      arguments: ARGS,
      _meta: { 'powerauto/idempotencyKey': `bench:noop:${i}` },
    });
}

function coordinatorCaller(coordinator: MCPCoordinator): CallOnce {
  const signal = new AbortController().signal;
  return (i) => coordinator.callTool(toolCall(i), { signal });
}

const client = (): Client => new Client({ name: 'bench-direct', version: '0' });

async function startHttpEngine(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, tsxArgs('--http'), {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`http engine exited with ${code}`)));
    child.stdout?.once('data', (chunk: Buffer) => resolve(chunk.toString('utf8').trim()));
  });
  return { url, child };
}

const QUIET = { health: { intervalMs: 60_000 } } satisfies Partial<EnginesConfigInput>;

async function transportCase(
  name: 'inmemory' | 'stdio' | 'http',
  sizes: { sequential: number; concurrent: number },
) {
  let directClient = client();
  let coordinator: MCPCoordinator;
  let cleanup = async (): Promise<void> => {};
  if (name === 'inmemory') {
    const [a, b] = InMemoryTransport.createLinkedPair();
    await createEngineServer('monitoring', noopBrain()).connect(b);
    await directClient.connect(a);
    coordinator = await MCPCoordinator.start(
      { ...QUIET, engines: [{ role: 'monitoring', maxConcurrency: 64 }] },
      { inprocServer: (role) => createEngineServer(role, noopBrain()) },
    );
  } else if (name === 'stdio') {
    await directClient.connect(
      new StdioClientTransport({ command: process.execPath, args: tsxArgs(), cwd: REPO_ROOT }),
    );
    coordinator = await MCPCoordinator.start({
      ...QUIET,
      engines: [
        {
          role: 'monitoring',
          maxConcurrency: 64,
          transport: { type: 'stdio', command: process.execPath, args: tsxArgs(), cwd: REPO_ROOT },
        },
      ],
    });
  } else {
    const engine = await startHttpEngine();
    directClient = client();
    await directClient.connect(new StreamableHTTPClientTransport(new URL(engine.url)));
    coordinator = await MCPCoordinator.start({
      ...QUIET,
      engines: [{ role: 'monitoring', maxConcurrency: 64, transport: { type: 'http', url: engine.url } }],
    });
    cleanup = async () => {
      engine.child.kill('SIGTERM');
    };
  }
  try {
    const direct = directCaller(directClient);
    const coordinated = coordinatorCaller(coordinator);
    const sequential = await compare(direct, coordinated, sizes.sequential, 1, 20);
    const concurrent64 = await compare(direct, coordinated, sizes.concurrent, 64, 10);
    return { sequential, concurrent64 };
  } finally {
    await directClient.close();
    await coordinator.close();
    await cleanup();
  }
}

async function replicaThroughput(replicas: number, total: number): Promise<number> {
  const coordinator = await MCPCoordinator.start({
    ...QUIET,
    engines: [
      {
        role: 'monitoring',
        replicas,
        maxConcurrency: 4,
        transport: {
          type: 'stdio',
          command: process.execPath,
          args: tsxArgs('--delay-ms', '20'),
          cwd: REPO_ROOT,
        },
      },
    ],
  });
  try {
    const call = coordinatorCaller(coordinator);
    await measure(call, 32, 64); // warm-up
    const { latencies, wallMs } = await measure(call, total, 64);
    return (latencies.length / wallMs) * 1000;
  } finally {
    await coordinator.close();
  }
}

export default async function main(): Promise<void> {
  const started = performance.now();
  const inmemory = await transportCase('inmemory', { sequential: 6_000, concurrent: 12_000 });
  const stdio = await transportCase('stdio', { sequential: 3_000, concurrent: 12_000 });
  const http = await transportCase('http', { sequential: 1_500, concurrent: 3_000 });
  const one = await replicaThroughput(1, 300);
  const four = await replicaThroughput(4, 1_200);
  const transports = { inmemory, stdio, http };
  const worstP50Ratio = Math.max(
    ...Object.values(transports).flatMap((t) => [t.sequential.p50Ratio, t.concurrent64.p50Ratio]),
  );
  const worstP50RatioBlockMedian = Math.max(
    ...Object.values(transports).flatMap((t) => [
      t.sequential.p50RatioBlockMedian,
      t.concurrent64.p50RatioBlockMedian,
    ]),
  );
  const replicaRatio = round(four / one, 2);
  console.log(
    JSON.stringify({
      bench: 'coordinator',
      transports,
      replicas: {
        tool: 'monitor_stop waiting 20 ms, stdio, maxConcurrency 4 per replica, 64 in flight',
        oneReplicaCallsPerSec: Math.round(one),
        fourReplicasCallsPerSec: Math.round(four),
        ratio: replicaRatio,
      },
      targets: {
        p50RatioMax: 1.1,
        worstP50Ratio,
        worstP50RatioBlockMedian,
        p50Met: worstP50Ratio <= 1.1,
        replicaRatioMin: 3.5,
        replicaMet: replicaRatio >= 3.5,
      },
      durationSec: round((performance.now() - started) / 1000, 1),
    }),
  );
}
