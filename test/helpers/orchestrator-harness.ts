import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OrchestratorConfig } from '../../src/config/orchestrator.js';
import type { StepExecutor } from '../../src/contracts/executor.js';
import { Orchestrator } from '../../src/orchestrator/orchestrator.js';
import { openSqliteDb } from '../../src/store/db.js';
import { Store } from '../../src/store/store.js';

export interface Harness {
  home: string;
  store: Store;
  orchestrator: Orchestrator;
  close(): Promise<void>;
}

/** A real orchestrator on a real SQLite file and real git workspaces, in a temporary home. */
export async function createHarness(
  executor: StepExecutor,
  config: Partial<Record<keyof OrchestratorConfig, unknown>> = {},
): Promise<Harness> {
  const home = await mkdtemp(join(tmpdir(), 'powerauto-test-'));
  const store = new Store(await openSqliteDb(join(home, 'powerauto.db')));
  const parsed = OrchestratorConfig.parse({
    ...config,
    scheduler: { backoffBaseMs: 10, backoffMaxMs: 50, ...(config.scheduler as object | undefined) },
  });
  const orchestrator = new Orchestrator({ store, executor, config: parsed, home });
  return {
    home,
    store,
    orchestrator,
    async close() {
      await orchestrator.close();
      await store.close();
      await rm(home, { recursive: true, force: true });
    },
  };
}
