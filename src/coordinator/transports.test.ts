import { afterEach, describe, expect, it } from 'vitest';
import { defaultEnginesConfig, EMBEDDED_TRANSPORTS } from '../config/engines.js';
import { ENGINE_CONTRACTS } from '../contracts/engines.js';
import { PowerAutoError } from '../contracts/errors.js';
import type { ToolCall, ToolProgress } from '../contracts/executor.js';
import { Role } from '../contracts/models.js';
import type { Brain } from '../engines/brain.js';
import { type RunningEngine, runEngine } from '../engines/main.js';
import { createEngineServer } from '../engines/mcp-server.js';
import { MCPCoordinator } from './coordinator.js';
import type { EngineCallRecord } from './metrics.js';

/** A monitoring brain that reports progress and echoes what it saw. */
function echoBrain(seen: { keys: (string | undefined)[] }): Brain {
  return {
    async monitor_stop(input: { environment?: string }, ctx) {
      seen.keys.push(ctx.idempotencyKey);
      for (let i = 1; i <= 3; i++) await ctx.progress(i, 3, `step ${i}`);
      return { stopped: true, metrics: { steps: 3, environmentLength: input.environment?.length ?? 0 } };
    },
  };
}

const call: ToolCall = {
  role: 'monitoring',
  tool: 'monitor_stop',
  input: { environment: 'production' },
  runId: 'r1',
  stepKey: 'monitoring',
  attempt: 2,
  idempotencyKey: 'r1:monitoring:2',
};

let coordinator: MCPCoordinator | undefined;
let engine: RunningEngine | undefined;
afterEach(async () => {
  await coordinator?.close();
  await engine?.close();
  coordinator = undefined;
  engine = undefined;
});

describe('in-process transport', () => {
  it('completes a call with progress and the idempotency key', async () => {
    const seen = { keys: [] as (string | undefined)[] };
    const records: EngineCallRecord[] = [];
    coordinator = await MCPCoordinator.start(
      { engines: [{ role: 'monitoring', name: 'mon-inproc' }] },
      {
        inprocServer: (role) => createEngineServer(role, echoBrain(seen)),
        onCall: (r) => records.push(r),
      },
    );
    const progress: ToolProgress[] = [];
    const output = await coordinator.callTool(call, {
      signal: new AbortController().signal,
      onProgress: (p) => progress.push(p),
    });
    expect(output).toEqual({ stopped: true, metrics: { steps: 3, environmentLength: 10 } });
    expect(seen.keys).toEqual(['r1:monitoring:2']);
    expect(progress).toEqual([
      { progress: 1, total: 3, message: 'step 1' },
      { progress: 2, total: 3, message: 'step 2' },
      { progress: 3, total: 3, message: 'step 3' },
    ]);
    expect(records).toMatchObject([
      { role: 'monitoring', tool: 'monitor_stop', instance: 'mon-inproc#0', outcome: 'ok', runId: 'r1' },
    ]);
  });

  it('reports a tool the engine has not implemented as NOT_IMPLEMENTED, once', async () => {
    const records: EngineCallRecord[] = [];
    coordinator = await MCPCoordinator.start(
      { engines: [{ role: 'monitoring', replicas: 2 }] },
      { inprocServer: (role) => createEngineServer(role, {}), onCall: (r) => records.push(r) },
    );
    const error = await coordinator.callTool(call, { signal: new AbortController().signal }).catch((e) => e);
    expect(error).toBeInstanceOf(PowerAutoError);
    expect(error.code).toBe('NOT_IMPLEMENTED');
    expect(error.message).toContain('monitor_stop is not implemented yet by the offline monitoring engine');
    expect(records).toHaveLength(1);
  });

  it('passes an engine failure code through as it is, so a refused deployment is not retried', async () => {
    const records: EngineCallRecord[] = [];
    coordinator = await MCPCoordinator.start(
      { engines: [{ role: 'monitoring', replicas: 2 }] },
      {
        inprocServer: (role) =>
          createEngineServer(role, {
            monitor_stop: async () => {
              throw new PowerAutoError('DEPLOY_FAILED', 'the release never became healthy');
            },
          }),
        onCall: (r) => records.push(r),
      },
    );
    const error = await coordinator.callTool(call, { signal: new AbortController().signal }).catch((e) => e);
    expect(error.code).toBe('DEPLOY_FAILED');
    expect(error.message).toContain('the release never became healthy');
    expect(records).toHaveLength(1);
  });

  it('refuses bad input before it reaches an engine', async () => {
    coordinator = await MCPCoordinator.start(
      { engines: [{ role: 'monitoring' }] },
      { inprocServer: (role) => createEngineServer(role, {}) },
    );
    await expect(
      coordinator.callTool(
        { ...call, input: { environment: 'moon' } },
        { signal: new AbortController().signal },
      ),
    ).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringContaining('environment') });
  });

  it('starts the default registry: one embedded engine per role, contracts checked', async () => {
    coordinator = await MCPCoordinator.start(defaultEnginesConfig());
    const rows = coordinator.describe();
    expect(rows.map((r) => r.role)).toEqual(Role.options);
    for (const row of rows) {
      expect(row).toMatchObject({
        kind: 'engine',
        transport: { type: EMBEDDED_TRANSPORTS[row.role!] },
        health: 'healthy',
        breaker: 'closed',
      });
      expect(row.tools.sort()).toEqual(Object.keys(ENGINE_CONTRACTS[row.role!]).sort());
    }
  });
});

describe('worker transport', () => {
  it("runs the built-in engine in a thread: the caller's event loop keeps turning during a long analysis", async () => {
    coordinator = await MCPCoordinator.start({
      engines: [{ role: 'requirements', transport: { type: 'worker' } }],
    });
    const sentence = 'Members borrow books, and a member can borrow at most 3 books at a time. ';
    const text = `A library service. ${sentence.repeat(1200)}`;
    let last = performance.now();
    let longestGap = 0;
    const ticker = setInterval(() => {
      const now = performance.now();
      longestGap = Math.max(longestGap, now - last);
      last = now;
    }, 10);
    const started = performance.now();
    const result = await coordinator.callTool(
      { ...call, role: 'requirements', tool: 'requirements_analyze', input: { text } },
      { signal: new AbortController().signal },
    );
    const took = performance.now() - started;
    clearInterval(ticker);
    longestGap = Math.max(longestGap, performance.now() - last);
    expect((result as { requirements: unknown[] }).requirements.length).toBeGreaterThan(0);
    // In-process, the whole analysis is one synchronous stretch: the ticker could not run until it ended.
    expect(longestGap).toBeLessThan(took / 2);
  });
});

describe('Streamable HTTP transport', () => {
  it('opens a new session when the HTTP engine restarts and has forgotten the old one', async () => {
    const seen = { keys: [] as (string | undefined)[] };
    engine = await runEngine('monitoring', { http: true, port: 0 }, () =>
      createEngineServer('monitoring', echoBrain(seen)),
    );
    const url = engine.url!;
    coordinator = await MCPCoordinator.start({
      engines: [{ role: 'monitoring', name: 'mon-http', transport: { type: 'http', url } }],
      health: { intervalMs: 50, timeoutMs: 500 },
      restart: { delayMs: 20, maxDelayMs: 200 },
    });
    const signal = new AbortController().signal;
    await coordinator.callTool({ ...call, idempotencyKey: 'r1:monitoring:1' }, { signal });

    // The engine goes away and comes back on the same address, knowing nothing of our session.
    const port = Number(new URL(url).port);
    await engine.close();
    engine = await runEngine('monitoring', { http: true, port }, () =>
      createEngineServer('monitoring', echoBrain(seen)),
    );
    const deadline = Date.now() + 10_000;
    while (coordinator.describe()[0]!.restarts === 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    expect(coordinator.describe()[0]).toMatchObject({ restarts: 1, health: 'healthy' });
    const output = await coordinator.callTool({ ...call, idempotencyKey: 'r1:monitoring:2' }, { signal });
    expect(output.stopped).toBe(true);
    expect(seen.keys).toEqual(['r1:monitoring:1', 'r1:monitoring:2']);
  });

  it('completes a call against an engine served by runEngine --http, with progress', async () => {
    const seen = { keys: [] as (string | undefined)[] };
    engine = await runEngine('monitoring', { http: true, port: 0 }, () =>
      createEngineServer('monitoring', echoBrain(seen)),
    );
    expect(engine.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    coordinator = await MCPCoordinator.start({
      engines: [
        { role: 'monitoring', name: 'mon-http', replicas: 2, transport: { type: 'http', url: engine.url! } },
      ],
    });
    const progress: ToolProgress[] = [];
    const outputs = await Promise.all(
      [1, 2, 3].map((attempt) =>
        coordinator!.callTool(
          { ...call, attempt, idempotencyKey: `r1:monitoring:${attempt}` },
          { signal: new AbortController().signal, onProgress: (p) => progress.push(p) },
        ),
      ),
    );
    expect(outputs.every((o) => o.stopped === true)).toBe(true);
    expect(seen.keys.sort()).toEqual(['r1:monitoring:1', 'r1:monitoring:2', 'r1:monitoring:3']);
    expect(progress).toHaveLength(9);
    expect(coordinator.describe().map((d) => d.transport)).toEqual([
      { type: 'http', url: engine.url },
      { type: 'http', url: engine.url },
    ]);
  });
});
