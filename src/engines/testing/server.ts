import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { createEngineServer } from '../mcp-server.js';
import { selectBrain } from '../select-brain.js';
import { createTestingLlmBrain } from './llm.js';
import { offlineBrain } from './offline.js';

/** The testing engine as an MCP server; call once per connection. */
export function createServer(): McpServer {
  return createEngineServer('testing', selectBrain('testing', offlineBrain, createTestingLlmBrain));
}
