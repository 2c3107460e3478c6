import { join } from 'node:path';
import type { Registry } from 'prom-client';
import { type LoadedConfig, loadConfig } from '../config/index.js';
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

export async function startRuntime(loaded: LoadedConfig = loadConfig()): Promise<Runtime> {
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
    },
  };
}
