import { loadConfig } from '../config/index.js';
import { type Runtime, startRuntime } from '../orchestrator/runtime.js';

/** Starts the runtime for one command and always closes it, so no engine process outlives the CLI. */
export async function withRuntime(fn: (runtime: Runtime) => Promise<number>): Promise<number> {
  const runtime = await startRuntime(loadConfig());
  try {
    return await fn(runtime);
  } finally {
    await runtime.close();
  }
}
