import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Runtime } from '../orchestrator/runtime.js';
import { createOrchestratorMcpServer } from './server.js';

/** Serves the orchestrator on stdin/stdout until the client closes the stream. */
export async function serveMcpStdio(runtime: Runtime): Promise<void> {
  const server = createOrchestratorMcpServer(runtime);
  const closed = new Promise<void>((resolve) => {
    server.server.onclose = () => resolve();
    process.stdin.once('end', () => resolve());
  });
  await server.connect(new StdioServerTransport());
  await closed;
  await server.close();
}
