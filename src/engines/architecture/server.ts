import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { createEngineServer } from '../mcp-server.js';
import { selectBrain } from '../select-brain.js';
import { createArchitectureLlmBrain } from './llm.js';
import { offlineBrain } from './offline.js';

/** The architecture engine as an MCP server; call once per connection. */
export function createServer(): McpServer {
  return createEngineServer(
    'architecture',
    selectBrain('architecture', offlineBrain, createArchitectureLlmBrain),
  );
}
