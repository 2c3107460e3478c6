import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Runtime } from '../orchestrator/runtime.js';
import { createOrchestratorMcpServer, type McpCaller } from './server.js';
import { McpHttpSessions } from './streamable-http.js';

const sessionsByRuntime = new WeakMap<Runtime, McpHttpSessions>();

/**
 * The orchestrator's Streamable HTTP endpoint; `powerauto serve` mounts it at `/mcp` behind its
 * authentication. Each session belongs to the caller who opened it and acts with their permissions.
 */
export function handleMcpRequest(
  runtime: Runtime,
  req: IncomingMessage,
  res: ServerResponse,
  body: unknown,
  caller: McpCaller,
): Promise<void> {
  let sessions = sessionsByRuntime.get(runtime);
  if (sessions === undefined) {
    sessions = new McpHttpSessions();
    sessionsByRuntime.set(runtime, sessions);
  }
  return sessions.handle(req, res, body, {
    owner: caller.actor,
    factory: () => createOrchestratorMcpServer(runtime, caller),
  });
}

export async function closeMcpSessions(runtime: Runtime): Promise<void> {
  await sessionsByRuntime.get(runtime)?.close();
}
