/**
 * The real engine server (createEngineServer) for monitoring, with a brain whose `monitor_stop` does
 * nothing, or waits `--delay-ms` first. Serves stdio, or HTTP with `--http` (prints its URL on stdout).
 */
import type { Brain } from '../../src/engines/brain.js';
import { runEngine } from '../../src/engines/main.js';
import { createEngineServer } from '../../src/engines/mcp-server.js';

export function noopBrain(delayMs = 0): Brain {
  return {
    async monitor_stop() {
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      return { stopped: true, metrics: {} };
    },
  };
}

const invokedAsScript = process.argv[1]?.endsWith('noop-engine.ts') === true;
if (invokedAsScript) {
  const i = process.argv.indexOf('--delay-ms');
  const delayMs = i >= 0 ? Number(process.argv[i + 1]) : 0;
  const http = process.argv.includes('--http');
  const running = await runEngine('monitoring', { http, port: 0 }, () =>
    createEngineServer('monitoring', noopBrain(delayMs)),
  );
  if (running.url !== undefined) process.stdout.write(`${running.url}\n`);
}
