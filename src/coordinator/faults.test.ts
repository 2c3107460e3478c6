import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  FAULT_ENGINE,
  processAlive,
  readEvents,
  tsxStdio,
  waitFor,
} from '../../test/fixtures/engines/support.js';
import type { EnginesConfigInput } from '../config/engines.js';
import type { ToolCall } from '../contracts/executor.js';
import { type BreakerChange, MCPCoordinator } from './coordinator.js';
import type { EngineCallRecord } from './metrics.js';

const FAST = {
  health: { intervalMs: 50, timeoutMs: 150 },
  breaker: { failureThreshold: 2, cooldownMs: 300 },
  restart: { delayMs: 20, maxDelayMs: 500, connectTimeoutMs: 15_000 },
} satisfies Partial<EnginesConfigInput>;

function stopCall(key: string, tool = 'monitor_stop'): ToolCall {
  const [runId = 'run', stepKey = 'step', attempt = '1'] = key.split(':');
  return {
    role: 'monitoring',
    tool,
    input: { environment: 'staging' },
    runId,
    stepKey,
    attempt: Number(attempt),
    idempotencyKey: key,
  };
}

const noSignal = (): AbortSignal => new AbortController().signal;

let dir: string;
let coordinator: MCPCoordinator | undefined;
let records: EngineCallRecord[];
let breakerChanges: BreakerChange[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pa-coord-'));
  records = [];
  breakerChanges = [];
});

afterEach(async () => {
  const pids = coordinator?.describe().flatMap((d) => (d.pid === null ? [] : [d.pid])) ?? [];
  await coordinator?.close();
  coordinator = undefined;
  // close() must leave no engine process behind.
  for (const pid of pids) await waitFor(`process ${pid} to exit`, () => !processAlive(pid), 5_000);
  rmSync(dir, { recursive: true, force: true });
});

async function start(config: EnginesConfigInput): Promise<MCPCoordinator> {
  coordinator = await MCPCoordinator.start(
    { ...FAST, ...config },
    { onCall: (r) => records.push(r), onBreakerChange: (c) => breakerChanges.push(c) },
  );
  return coordinator;
}

describe('failover after SIGKILL', () => {
  it('finishes on the other replica with the same idempotency key', async () => {
    const log = join(dir, 'events.jsonl');
    const c = await start({
      engines: [
        {
          role: 'monitoring',
          name: 'mon',
          replicas: 2,
          transport: tsxStdio(FAULT_ENGINE, ['--sleep-ms', '400', '--record', log]),
        },
      ],
    });
    const pending = c.callTool(stopCall('run1:monitoring:1'), { signal: noSignal() });
    const first = await waitFor('the call to start', () => readEvents(log).find((e) => e.event === 'start'));
    process.kill(first.pid, 'SIGKILL');
    const output = await pending;

    const starts = readEvents(log).filter((e) => e.event === 'start');
    expect(starts).toHaveLength(2);
    expect(starts.map((s) => s.key)).toEqual(['run1:monitoring:1', 'run1:monitoring:1']);
    expect(starts[1]!.pid).not.toBe(first.pid);
    expect((output.metrics as Record<string, number>).pid).toBe(starts[1]!.pid);
    expect(records.map((r) => [r.attempt, r.outcome])).toEqual([
      [1, 'transport_error'],
      [2, 'ok'],
    ]);
    expect(records[0]!.instance).not.toBe(records[1]!.instance);

    // The killed replica comes back as a new process.
    const restarted = await waitFor('the killed replica to restart', () =>
      c
        .describe()
        .find((d) => d.instance === records[0]!.instance && d.restarts === 1 && d.health === 'healthy'),
    );
    expect(restarted.pid).not.toBe(first.pid);
    expect(processAlive(restarted.pid!)).toBe(true);
  });

  it('with a single replica, finishes on the restarted process with the same key', async () => {
    const log = join(dir, 'events.jsonl');
    const c = await start({
      engines: [
        {
          role: 'monitoring',
          name: 'solo',
          transport: tsxStdio(FAULT_ENGINE, ['--sleep-ms', '300', '--record', log]),
        },
      ],
    });
    const pending = c.callTool(stopCall('run2:monitoring:3'), { signal: noSignal() });
    const first = await waitFor('the call to start', () => readEvents(log).find((e) => e.event === 'start'));
    process.kill(first.pid, 'SIGKILL');
    const output = await pending;

    const starts = readEvents(log).filter((e) => e.event === 'start');
    expect(starts.map((s) => s.key)).toEqual(['run2:monitoring:3', 'run2:monitoring:3']);
    expect(starts[1]!.pid).not.toBe(first.pid);
    expect((output.metrics as Record<string, number>).pid).toBe(starts[1]!.pid);
    expect(c.describe()[0]).toMatchObject({ instance: 'solo#0', restarts: 1, health: 'healthy' });
  });
});

describe('hung engine', () => {
  it('times out, is retried elsewhere, opens the breaker and recovers through a half-open probe', async () => {
    const modeFile = join(dir, 'mode');
    writeFileSync(modeFile, 'hang');
    const c = await start({
      engines: [
        {
          role: 'monitoring',
          name: 'hung',
          timeoutMs: 300,
          transport: tsxStdio(FAULT_ENGINE, ['--mode-file', modeFile]),
        },
        { role: 'monitoring', name: 'good', timeoutMs: 300, transport: tsxStdio(FAULT_ENGINE) },
      ],
    });
    // Ties go to the first instance in config order, so the first call lands on the hung engine.
    const output = await c.callTool(stopCall('run3:monitoring:1'), { signal: noSignal() });
    expect(output.stopped).toBe(true);
    expect(records.map((r) => [r.instance, r.outcome, r.idempotencyKey])).toEqual([
      ['hung#0', 'timeout', 'run3:monitoring:1'],
      ['good#0', 'ok', 'run3:monitoring:1'],
    ]);
    expect(records[0]!.durationMs).toBeGreaterThanOrEqual(290);

    await waitFor(
      'the breaker to open',
      () => c.describe().find((d) => d.name === 'hung')?.breaker === 'open',
    );
    // While open, calls go to the healthy engine only.
    records = [];
    for (let i = 0; i < 3; i++) await c.callTool(stopCall(`run3:more:${i}`), { signal: noSignal() });
    expect(records.every((r) => r.instance === 'good#0' && r.outcome === 'ok')).toBe(true);

    writeFileSync(modeFile, 'ok');
    await waitFor(
      'the breaker to close',
      () => c.describe().find((d) => d.name === 'hung')?.breaker === 'closed',
    );
    const hungMoves = breakerChanges.filter((b) => b.server === 'hung').map((b) => `${b.from}>${b.to}`);
    expect(hungMoves[0]).toBe('closed>open');
    expect(hungMoves.slice(-2)).toEqual(['open>half_open', 'half_open>closed']);
    expect(c.describe().find((d) => d.name === 'hung')?.health).toBe('healthy');

    // Recovered: it takes calls again.
    records = [];
    for (let i = 0; i < 4; i++) await c.callTool(stopCall(`run3:after:${i}`), { signal: noSignal() });
    expect(records.some((r) => r.instance === 'hung#0' && r.outcome === 'ok')).toBe(true);
  });
});

describe('contract and output checks', () => {
  it('refuses an engine whose tools/list lacks a contract tool, naming engine and tool', async () => {
    await expect(
      MCPCoordinator.start({
        ...FAST,
        engines: [
          {
            role: 'monitoring',
            name: 'partial-monitor',
            transport: tsxStdio(FAULT_ENGINE, ['--omit', 'monitor_report']),
          },
        ],
      }),
    ).rejects.toMatchObject({
      code: 'CONTRACT_MISMATCH',
      message: expect.stringMatching(/engine "partial-monitor".*missing tool monitor_report/),
    });
  });

  it('rejects schema-invalid output with OUTPUT_INVALID and does not retry it', async () => {
    const c = await start({
      engines: [
        {
          role: 'monitoring',
          name: 'liar',
          replicas: 2,
          transport: tsxStdio(FAULT_ENGINE, ['--mode', 'invalid']),
        },
      ],
    });
    const failure = c.callTool(stopCall('run4:monitoring:1'), { signal: noSignal() });
    await expect(failure).rejects.toMatchObject({ code: 'OUTPUT_INVALID' });
    await expect(failure).rejects.toThrow(
      /monitor_stop from engine "liar" returned invalid output: stopped: .*boolean/,
    );
    expect(records.map((r) => r.outcome)).toEqual(['output_invalid']);
  });

  it.each([
    ['bad-envelope', /returned invalid output: isError: .*expected boolean/],
    ['bad-error', /returned invalid output: content: /],
  ])(
    'rejects a result envelope no SDK server would send (%s) with OUTPUT_INVALID, not retried',
    async (mode, message) => {
      const c = await start({
        engines: [
          {
            role: 'monitoring',
            name: 'raw',
            replicas: 2,
            transport: tsxStdio(FAULT_ENGINE, ['--mode', mode]),
          },
        ],
      });
      const failure = c.callTool(stopCall('run4b:monitoring:1'), { signal: noSignal() });
      await expect(failure).rejects.toMatchObject({ code: 'OUTPUT_INVALID' });
      await expect(failure).rejects.toThrow(message);
      expect(records.map((r) => r.outcome)).toEqual(['output_invalid']);
      expect(c.describe().map((d) => d.breaker)).toEqual(['closed', 'closed']);
    },
  );

  it('does not retry a tool error from the engine itself', async () => {
    const c = await start({
      engines: [{ role: 'monitoring', name: 'mon', replicas: 2, transport: tsxStdio(FAULT_ENGINE) }],
    });
    await expect(
      c.callTool(stopCall('run5:monitoring:1', 'monitor_report'), { signal: noSignal() }),
    ).rejects.toMatchObject({ code: 'ENGINE_FAILED', message: expect.stringContaining('not implemented') });
    expect(records.map((r) => r.outcome)).toEqual(['tool_error']);
  });
});

describe('timeouts, cancellation, concurrency', () => {
  it('resets the timeout on progress but enforces the total cap', async () => {
    const modeFile = join(dir, 'mode');
    writeFileSync(modeFile, 'ok 500');
    const c = await start({
      engines: [
        {
          role: 'monitoring',
          name: 'slow',
          timeoutMs: 150,
          totalTimeoutMs: 1_000,
          transport: tsxStdio(FAULT_ENGINE, ['--mode-file', modeFile]),
        },
      ],
    });
    const progress: number[] = [];
    const output = await c.callTool(stopCall('run6:a:1'), {
      signal: noSignal(),
      onProgress: (p) => progress.push(p.progress),
    });
    expect(output.stopped).toBe(true);
    // 500 ms of work under a 150 ms timeout: only progress kept it alive.
    expect(progress.length).toBeGreaterThan(10);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));

    writeFileSync(modeFile, 'ok 5000');
    const started = Date.now();
    await expect(c.callTool(stopCall('run6:b:1'), { signal: noSignal() })).rejects.toMatchObject({
      code: 'TIMEOUT',
    });
    expect(Date.now() - started).toBeLessThan(2_500);
  });

  it("forwards the caller's cancellation to the engine", async () => {
    const log = join(dir, 'events.jsonl');
    const c = await start({
      engines: [
        {
          role: 'monitoring',
          name: 'mon',
          transport: tsxStdio(FAULT_ENGINE, ['--sleep-ms', '5000', '--record', log]),
        },
      ],
    });
    const controller = new AbortController();
    const started = Date.now();
    const pending = c.callTool(stopCall('run7:monitoring:1'), { signal: controller.signal });
    await waitFor('the call to start', () => readEvents(log).some((e) => e.event === 'start'));
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(Date.now() - started).toBeLessThan(4_000);
    const cancelled = await waitFor('the engine to see the cancellation', () =>
      readEvents(log).find((e) => e.event === 'cancelled'),
    );
    expect(cancelled.key).toBe('run7:monitoring:1');
    expect(readEvents(log).some((e) => e.event === 'end')).toBe(false);
    expect(records.map((r) => r.outcome)).toEqual(['cancelled']);
  });

  it('never runs more than maxConcurrency calls on one instance, and spreads load over replicas', async () => {
    const c = await start({
      engines: [
        {
          role: 'monitoring',
          name: 'mon',
          replicas: 2,
          maxConcurrency: 3,
          transport: tsxStdio(FAULT_ENGINE, ['--sleep-ms', '60']),
        },
      ],
    });
    let maxSeenInFlight = 0;
    const sampler = setInterval(() => {
      for (const d of c.describe()) maxSeenInFlight = Math.max(maxSeenInFlight, d.inFlight);
    }, 5);
    const outputs = await Promise.all(
      Array.from({ length: 24 }, (_, i) => c.callTool(stopCall(`run8:s:${i}`), { signal: noSignal() })),
    );
    clearInterval(sampler);
    const metrics = outputs.map((o) => o.metrics as Record<string, number>);
    // Measured inside the engine: concurrent calls it was running when each call ran.
    const engineMax = Math.max(...metrics.map((m) => m.maxConcurrent!));
    expect(engineMax).toBeLessThanOrEqual(3);
    expect(engineMax).toBe(3);
    expect(maxSeenInFlight).toBeLessThanOrEqual(3);
    const perPid = new Map<number, number>();
    for (const m of metrics) perPid.set(m.pid!, (perPid.get(m.pid!) ?? 0) + 1);
    expect([...perPid.values()].sort()).toEqual([12, 12]);

    const exposition = await c.metricsRegistry.metrics();
    expect(exposition).toMatch(
      /powerauto_engine_calls_total\{role="monitoring",tool="monitor_stop",instance="mon#0",outcome="ok"\} 12/,
    );
    expect(records).toHaveLength(24);
    expect(records.every((r) => r.requestBytes > 0 && r.responseBytes > 0)).toBe(true);
  });
});
