import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { createEngineServer } from '../mcp-server.js';
import { selectBrain } from '../select-brain.js';
import { createCodingLlmBrain } from './llm.js';
import { offlineBrain } from './offline.js';

/** The coding engine as an MCP server; call once per connection. */
export function createServer(): McpServer {
  return createEngineServer('coding', selectBrain('coding', offlineBrain, createCodingLlmBrain));
}
