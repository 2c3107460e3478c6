import { join } from 'node:path';
import { PowerAutoConfig } from '../../src/config/index.js';
import type { StepExecutor, ToolCall } from '../../src/contracts/executor.js';
import type { Role } from '../../src/contracts/models.js';
import { MCPCoordinator } from '../../src/coordinator/index.js';
import { Orchestrator } from '../../src/orchestrator/orchestrator.js';
import { openSqliteDb } from '../../src/store/db.js';
import { Store } from '../../src/store/store.js';

export interface EngineCallRecord {
  call: ToolCall;
  output: Record<string, unknown>;
  ms: number;
}

export interface RealPipeline {
  orchestrator: Orchestrator;
  store: Store;
  /** Every engine call the orchestrator made, with the engine's real output and its duration. */
  calls: EngineCallRecord[];
  close(): Promise<void>;
}

/**
 * The real orchestrator over the real MCPCoordinator and the real in-process engines, in `home`.
 * `after` runs once an engine call has returned and before the orchestrator sees the result:
 * a test can change the workspace there, as a faulty engine would have.
 */
export async function startRealPipeline(
  home: string,
  options: {
    roles?: Role[];
    after?: (call: ToolCall, output: Record<string, unknown>) => Promise<void>;
  } = {},
): Promise<RealPipeline> {
  const config = PowerAutoConfig.parse({
    engines: { engines: (options.roles ?? ['requirements', 'coding', 'testing']).map((role) => ({ role })) },
  });
  const store = new Store(await openSqliteDb(join(home, 'powerauto.db')));
  const coordinator = await MCPCoordinator.start(config.engines);
  const calls: EngineCallRecord[] = [];
  const executor: StepExecutor = {
    async callTool(call, ctx) {
      const started = performance.now();
      const output = await coordinator.callTool(call, ctx);
      calls.push({ call, output, ms: performance.now() - started });
      await options.after?.(call, output);
      return output;
    },
  };
  const orchestrator = new Orchestrator({ store, executor, config, home });
  return {
    orchestrator,
    store,
    calls,
    async close() {
      await orchestrator.close();
      await coordinator.close();
      await store.close();
    },
  };
}
