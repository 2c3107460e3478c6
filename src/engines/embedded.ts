import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Role } from '../contracts/models.js';

/** Each role's server module, loaded on demand so an embedded engine costs nothing until used. */
const serverModules: Record<Role, () => Promise<{ createServer(): McpServer }>> = {
  requirements: () => import('./requirements/server.js'),
  architecture: () => import('./architecture/server.js'),
  coding: () => import('./coding/server.js'),
  testing: () => import('./testing/server.js'),
  deployment: () => import('./deployment/server.js'),
  monitoring: () => import('./monitoring/server.js'),
};

/** A fresh MCP server for one role's built-in (offline) engine. */
export async function loadEngineServer(role: Role): Promise<McpServer> {
  const mod = await serverModules[role]();
  return mod.createServer();
}
