import { join } from 'node:path';
import type { Registry } from 'prom-client';
import { type LoadedConfig, loadConfig } from '../config/index.js';
import { ConflictError } from '../contracts/errors.js';
import { MCPCoordinator } from '../coordinator/index.js';
import { openSqliteDb } from '../store/db.js';
import { Store } from '../store/store.js';
import { Orchestrator } from './orchestrator.js';

/** Everything a front end (CLI, API, MCP server) needs, wired from the configuration. */
export interface Runtime extends LoadedConfig {
  store: Store;
  coordinator: MCPCoordinator;
  orchestrator: Orchestrator;
  metrics: Registry;
  close(): Promise<void>;
}

/** Homes of the runtimes alive in this process that run in-process engines. */
const inprocHomes = new Map<string, number>();

/**
 * In-process engines are MCP servers like any other: they find their data directory in their
 * environment (`POWERAUTO_HOME`), as a separate engine process would. This process's environment
 * must therefore name the runtime's home, and one process can serve only one home that way.
 */
function claimEngineHome(loaded: LoadedConfig): () => void {
  if (
    !loaded.config.engines.engines.some((e) => e.transport.type === 'inproc' || e.transport.type === 'worker')
  )
    return () => {};
  const [other] = [...inprocHomes.keys()].filter((home) => home !== loaded.home);
  if (other !== undefined) {
    throw new ConflictError(
      `this process already runs in-process engines for ${other}; one home per process`,
    );
  }
  process.env.POWERAUTO_HOME = loaded.home;
  // The in-process engines' sandboxes read it (src/sandbox); stdio engines get it passed on.
  if (loaded.config.sandbox !== undefined) process.env.POWERAUTO_SANDBOX = loaded.config.sandbox;
  inprocHomes.set(loaded.home, (inprocHomes.get(loaded.home) ?? 0) + 1);
  return () => {
    const left = (inprocHomes.get(loaded.home) ?? 1) - 1;
    if (left === 0) inprocHomes.delete(loaded.home);
    else inprocHomes.set(loaded.home, left);
  };
}

export async function startRuntime(loaded: LoadedConfig = loadConfig()): Promise<Runtime> {
  const releaseHome = claimEngineHome(loaded);
  const store = new Store(await openSqliteDb(join(loaded.home, 'powerauto.db')));
  let coordinator: MCPCoordinator;
  try {
    coordinator = await MCPCoordinator.start(loaded.config.engines, {
      // Call rows are telemetry: losing one must never fail the step that made the call.
      onCall: (record) =>
        void store
          .insertEngineCall({
            runId: record.runId ?? null,
            stepKey: record.stepKey ?? null,
            role: record.role,
            tool: record.tool,
            instance: record.instance,
            outcome: record.outcome,
            latencyMs: record.durationMs,
            requestBytes: record.requestBytes,
            responseBytes: record.responseBytes,
            idempotencyKey: record.idempotencyKey ?? null,
          })
          .catch(() => {}),
    });
  } catch (err) {
    await store.close();
    releaseHome();
    throw err;
  }
  const orchestrator = new Orchestrator({
    store,
    executor: coordinator,
    config: loaded.config,
    home: loaded.home,
  });
  return {
    ...loaded,
    store,
    coordinator,
    orchestrator,
    metrics: coordinator.metricsRegistry,
    async close() {
      await orchestrator.close();
      await coordinator.close();
      await store.close();
      releaseHome();
    },
  };
}
