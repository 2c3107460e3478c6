import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { createEngineServer } from '../mcp-server.js';
import { selectBrain } from '../select-brain.js';
import { createDeploymentLlmBrain } from './llm.js';
import { offlineBrain } from './offline.js';

/** The deployment engine as an MCP server; call once per connection. */
export function createServer(): McpServer {
  return createEngineServer('deployment', selectBrain('deployment', offlineBrain, createDeploymentLlmBrain));
}
