import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { ENGINE_CONTRACTS, type ToolContract } from '../contracts/engines.js';
import { errorMessage, PowerAutoError } from '../contracts/errors.js';
import {
  ERROR_CODE_META_KEY,
  IDEMPOTENCY_META_KEY,
  LLM_USAGE_META_KEY,
  type LlmUsageMetrics,
} from '../contracts/mcp-meta.js';
import type { Role } from '../contracts/models.js';
import { type Brain, type EngineToolContext, FailedWithUsageError } from './brain.js';

export const ENGINE_SERVER_VERSION = '0.1.0';

function toolError(code: string, message: string, usage?: LlmUsageMetrics): CallToolResult {
  return {
    isError: true,
    content: [{ type: 'text', text: `${code}: ${message}` }],
    _meta: { [ERROR_CODE_META_KEY]: code, ...(usage ? { [LLM_USAGE_META_KEY]: usage } : {}) },
  };
}

function summary(tool: string, output: Record<string, unknown>): string {
  const keys = Object.keys(output);
  return `${tool} done (${keys.slice(0, 8).join(', ')}${keys.length > 8 ? ', …' : ''})`;
}

/**
 * One MCP server for one engine role. Every contract tool of the role is registered, with the
 * contract's zod schemas as input/output schemas; tools the brain has no handler for answer a tool
 * error rather than invented output. A fresh server is needed per connection (per HTTP session).
 */
export function createEngineServer(role: Role, brain: Brain): McpServer {
  const server = new McpServer(
    { name: `powerauto-${role}-engine`, version: ENGINE_SERVER_VERSION },
    { capabilities: { tools: {} } },
  );
  const tools: Record<string, ToolContract> = ENGINE_CONTRACTS[role];
  for (const [tool, contract] of Object.entries(tools)) {
    server.registerTool(
      tool,
      { description: contract.description, inputSchema: contract.input, outputSchema: contract.output },
      async (input, extra): Promise<CallToolResult> => {
        const handler = brain[tool];
        if (handler === undefined) {
          return toolError('NOT_IMPLEMENTED', `${tool} is not implemented yet by the offline ${role} engine`);
        }
        const rawKey = extra._meta?.[IDEMPOTENCY_META_KEY];
        const progressToken = extra._meta?.progressToken;
        const ctx: EngineToolContext = {
          idempotencyKey: typeof rawKey === 'string' ? rawKey : undefined,
          signal: extra.signal,
          async progress(progress, total, message) {
            if (progressToken === undefined || extra.signal.aborted) return;
            await extra.sendNotification({
              method: 'notifications/progress',
              params: { progressToken, progress, total, message },
            });
          },
        };
        try {
          const output = await handler(input, ctx);
          return { structuredContent: output, content: [{ type: 'text', text: summary(tool, output) }] };
        } catch (err) {
          // Code and message only: stack traces stay inside the engine.
          const code = err instanceof PowerAutoError ? err.code : 'INTERNAL';
          return toolError(
            code,
            errorMessage(err),
            err instanceof FailedWithUsageError ? err.usage : undefined,
          );
        }
      },
    );
  }
  return server;
}
