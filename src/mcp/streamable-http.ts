import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';

export type McpServerFactory = () => McpServer | Promise<McpServer>;

/** Who opens a session, and the server made for them; later requests must come from the same owner. */
export interface SessionOpener {
  owner: string;
  factory: McpServerFactory;
}

/**
 * Stateful Streamable HTTP sessions: an initialize request opens a session with a fresh server,
 * later requests carry `mcp-session-id`. Used by the engines' `--http` mode and the orchestrator's `/mcp`.
 * Imports only the SDK, so any MCP server side may use it.
 */
export class McpHttpSessions {
  readonly #factory: McpServerFactory | undefined;
  readonly #sessions = new Map<
    string,
    { transport: StreamableHTTPServerTransport; server: McpServer; owner: string }
  >();

  /** `factory` serves sessions opened without an opener of their own (an engine's `--http` mode). */
  constructor(factory?: McpServerFactory) {
    this.#factory = factory;
  }

  get size(): number {
    return this.#sessions.size;
  }

  /**
   * `body` is the parsed JSON body when a framework already read it; otherwise it is read here.
   * `opener` names an authenticated caller: their session is theirs alone.
   */
  async handle(
    req: IncomingMessage,
    res: ServerResponse,
    body?: unknown,
    opener?: SessionOpener,
  ): Promise<void> {
    const sessionId = req.headers['mcp-session-id'];
    const owner = opener?.owner ?? '';
    const found = typeof sessionId === 'string' ? this.#sessions.get(sessionId) : undefined;
    // Someone else's session id is as good as none.
    const existing = found?.owner === owner ? found : undefined;
    const payload = req.method === 'POST' && body === undefined ? await readJson(req) : body;
    if (existing !== undefined) {
      await existing.transport.handleRequest(req, res, payload);
      return;
    }
    if (req.method !== 'POST' || sessionId !== undefined || !isInitializeRequest(payload)) {
      sendJsonRpcError(
        res,
        sessionId === undefined ? 400 : 404,
        'no valid MCP session: send initialize first',
      );
      return;
    }
    const factory = opener?.factory ?? this.#factory;
    if (factory === undefined) throw new Error('an MCP session needs a server factory');
    const server = await factory();
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        this.#sessions.set(id, { transport, server, owner });
      },
    });
    transport.onclose = () => {
      if (transport.sessionId !== undefined) this.#sessions.delete(transport.sessionId);
    };
    await server.connect(transport);
    await transport.handleRequest(req, res, payload);
  }

  async close(): Promise<void> {
    const open = [...this.#sessions.values()];
    this.#sessions.clear();
    await Promise.allSettled(open.map((s) => s.server.close()));
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function sendJsonRpcError(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }));
}
