/**
 * The total timeout caps a call however it spends its time: waiting for a slot, in an attempt whose
 * timeout progress keeps resetting, or in one attempt. (The coordinator only starts its total-cap timer
 * when a call cannot finish within its first attempt's own timeout; these pin that down.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { EnginesConfigInput } from '../config/engines.js';
import type { ToolCall } from '../contracts/executor.js';
import type { Brain, EngineToolContext } from '../engines/brain.js';
import { createEngineServer } from '../engines/mcp-server.js';
import { MCPCoordinator } from './coordinator.js';
import type { EngineCallRecord } from './metrics.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const untilAborted = (signal: AbortSignal): Promise<never> =>
  new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));

function call(key: string): ToolCall {
  return {
    role: 'monitoring',
    tool: 'monitor_stop',
    input: { environment: 'staging' },
    runId: 'run',
    stepKey: key,
    attempt: 1,
    idempotencyKey: key,
  };
}

let coordinator: MCPCoordinator | undefined;
let records: EngineCallRecord[];

afterEach(async () => {
  await coordinator?.close();
  coordinator = undefined;
});

async function start(
  engine: Partial<EnginesConfigInput['engines'] extends (infer E)[] | undefined ? E : never>,
  stop: (ctx: EngineToolContext) => Promise<Record<string, unknown>>,
): Promise<MCPCoordinator> {
  records = [];
  const brain: Brain = { monitor_stop: (_input, ctx) => stop(ctx) };
  coordinator = await MCPCoordinator.start(
    { health: { intervalMs: 60_000 }, engines: [{ role: 'monitoring', ...engine }] },
    { inprocServer: (role) => createEngineServer(role, brain), onCall: (r) => records.push(r) },
  );
  return coordinator;
}

const signal = (): AbortSignal => new AbortController().signal;

describe('total timeout', () => {
  it('counts the wait for a slot: the call queued behind another times out at its total', async () => {
    const c = await start({ maxConcurrency: 1, timeoutMs: 10_000, totalTimeoutMs: 300 }, async (ctx) => {
      await Promise.race([sleep(250), untilAborted(ctx.signal)]);
      return { stopped: true, metrics: {} };
    });
    const first = c.callTool(call('first'), { signal: signal() });
    const queuedAt = Date.now();
    const second = c.callTool(call('second'), { signal: signal() }).catch((err: unknown) => err);
    expect(await first).toEqual({ stopped: true, metrics: {} });
    // It got the slot after 250 ms of its 300: timed from the queue it ends at 300 ms, where timing
    // only its attempt would let it run to 550 ms.
    expect(await second).toMatchObject({ code: 'TIMEOUT' });
    expect(Date.now() - queuedAt).toBeLessThan(480);
  });

  it('caps an attempt whose timeout progress keeps resetting, after the progress stops', async () => {
    const c = await start({ timeoutMs: 500, totalTimeoutMs: 600 }, async (ctx) => {
      // Progress every 100 ms until 550 ms, then silence: each report resets the 500 ms timeout,
      // which without the total timer would first fire at 1 050 ms.
      for (let i = 1; i <= 5; i++) {
        await sleep(110);
        await ctx.progress(i, 10);
      }
      await untilAborted(ctx.signal);
      return { stopped: true, metrics: {} };
    });
    const progress: number[] = [];
    const startedAt = Date.now();
    await expect(
      c.callTool(call('progress'), { signal: signal(), onProgress: (p) => progress.push(p.progress) }),
    ).rejects.toMatchObject({ code: 'TIMEOUT', message: expect.stringContaining('total timeout of 600 ms') });
    expect(Date.now() - startedAt).toBeLessThan(950);
    expect(progress.length).toBeGreaterThanOrEqual(3);
    expect(records.map((r) => r.outcome)).toEqual(['timeout']);
  });

  it('ends a single silent attempt at the total when that is shorter than the attempt timeout', async () => {
    const c = await start({ timeoutMs: 10_000, totalTimeoutMs: 300 }, async (ctx) => {
      await untilAborted(ctx.signal);
      return { stopped: true, metrics: {} };
    });
    const startedAt = Date.now();
    await expect(c.callTool(call('silent'), { signal: signal() })).rejects.toMatchObject({
      code: 'TIMEOUT',
      message: expect.stringContaining('exceeded its total timeout of 300 ms after 1 attempt(s)'),
    });
    expect(Date.now() - startedAt).toBeLessThan(2_000);
    // Out of time: not retried.
    expect(records.map((r) => [r.attempt, r.outcome])).toEqual([[1, 'timeout']]);
  });
});

describe('closing', () => {
  it('refuses the calls still queued for a slot instead of leaving them pending', async () => {
    const c = await start({ maxConcurrency: 1, timeoutMs: 10_000, totalTimeoutMs: 10_000 }, async (ctx) => {
      await untilAborted(ctx.signal);
      return { stopped: true, metrics: {} };
    });
    const running = c.callTool(call('running'), { signal: signal() }).catch((err: unknown) => err);
    const queued = c.callTool(call('queued'), { signal: signal() }).catch((err: unknown) => err);
    await sleep(50);
    const closedAt = Date.now();
    await c.close();
    coordinator = undefined;
    const [first, second] = await Promise.all([running, queued]);
    expect(first).toBeInstanceOf(Error);
    expect(second).toMatchObject({ code: expect.stringMatching(/ENGINE_UNAVAILABLE|CANCELLED/) });
    expect(Date.now() - closedAt).toBeLessThan(2_000);
  });

  it('lets a queued call whose caller cancels leave the queue at once', async () => {
    const c = await start({ maxConcurrency: 1, timeoutMs: 10_000, totalTimeoutMs: 10_000 }, async (ctx) => {
      await Promise.race([sleep(1_000), untilAborted(ctx.signal)]);
      return { stopped: true, metrics: {} };
    });
    const first = c.callTool(call('first'), { signal: signal() });
    const caller = new AbortController();
    const second = c.callTool(call('second'), { signal: caller.signal }).catch((err: unknown) => err);
    await sleep(20);
    const cancelledAt = Date.now();
    caller.abort(new Error('user cancelled'));
    expect(await second).toMatchObject({ code: 'CANCELLED' });
    expect(Date.now() - cancelledAt).toBeLessThan(200);
    expect(await first).toEqual({ stopped: true, metrics: {} });
  });
});
