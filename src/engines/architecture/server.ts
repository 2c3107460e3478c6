import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { createEngineServer } from '../mcp-server.js';
import { offlineBrain } from './offline.js';

/** The architecture engine as an MCP server; call once per connection. */
export function createServer(): McpServer {
  return createEngineServer('architecture', offlineBrain);
}
