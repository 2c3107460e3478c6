import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Runtime } from '../orchestrator/runtime.js';
import { createOrchestratorMcpServer } from './server.js';
import { McpHttpSessions } from './streamable-http.js';

const sessionsByRuntime = new WeakMap<Runtime, McpHttpSessions>();

/** The orchestrator's Streamable HTTP endpoint; `powerauto serve` mounts it at `/mcp`. */
export function handleMcpRequest(
  runtime: Runtime,
  req: IncomingMessage,
  res: ServerResponse,
  body?: unknown,
): Promise<void> {
  let sessions = sessionsByRuntime.get(runtime);
  if (sessions === undefined) {
    sessions = new McpHttpSessions(() => createOrchestratorMcpServer(runtime, 'mcp-http'));
    sessionsByRuntime.set(runtime, sessions);
  }
  return sessions.handle(req, res, body);
}

export async function closeMcpSessions(runtime: Runtime): Promise<void> {
  await sessionsByRuntime.get(runtime)?.close();
}
