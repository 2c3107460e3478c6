import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { BadInputError, errorMessage } from '../contracts/errors.js';
import { Role } from '../contracts/models.js';
import { loadEngineServer } from './embedded.js';

export const RunEngineOptions = z.object({
  http: z.boolean().default(false),
  /** HTTP port; 0 picks a free one (see `RunningEngine.url`). */
  port: z.number().int().min(0).max(65_535).default(0),
  /** Loopback only by default: an engine has no authentication of its own. */
  host: z.string().default('127.0.0.1'),
});
export type RunEngineOptions = z.input<typeof RunEngineOptions>;

export interface RunningEngine {
  role: Role;
  transport: 'stdio' | 'http';
  /** `http://host:port/mcp` for HTTP, undefined for stdio. */
  url: string | undefined;
  close(): Promise<void>;
}

/** For tests and alternative brains: how to make a server for one connection. */
export type EngineServerFactory = () => McpServer | Promise<McpServer>;

/**
 * Serve one role's engine on stdio (default) or Streamable HTTP with stateful sessions.
 * Resolves once the server is listening.
 */
export async function runEngine(
  role: Role,
  options: RunEngineOptions = {},
  serverFactory: EngineServerFactory = () => loadEngineServer(role),
): Promise<RunningEngine> {
  const opts = RunEngineOptions.parse(options);
  if (!opts.http) {
    const server = await serverFactory();
    await server.connect(new StdioServerTransport());
    return { role, transport: 'stdio', url: undefined, close: () => server.close() };
  }
  return serveHttp(role, opts, serverFactory);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text.length === 0 ? undefined : JSON.parse(text);
}

function sendJsonRpcError(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }));
}

async function serveHttp(
  role: Role,
  opts: z.output<typeof RunEngineOptions>,
  serverFactory: EngineServerFactory,
): Promise<RunningEngine> {
  const sessions = new Map<string, { transport: StreamableHTTPServerTransport; server: McpServer }>();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/mcp') {
      res.writeHead(404).end();
      return;
    }
    const sessionId = req.headers['mcp-session-id'];
    const existing = typeof sessionId === 'string' ? sessions.get(sessionId) : undefined;
    if (existing !== undefined) {
      const body = req.method === 'POST' ? await readJson(req) : undefined;
      await existing.transport.handleRequest(req, res, body);
      return;
    }
    if (req.method !== 'POST') {
      sendJsonRpcError(res, 400, 'no valid session id');
      return;
    }
    const body = await readJson(req);
    if (sessionId !== undefined || !isInitializeRequest(body)) {
      sendJsonRpcError(res, sessionId === undefined ? 400 : 404, 'no valid session id');
      return;
    }
    const server = await serverFactory();
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        sessions.set(id, { transport, server });
      },
    });
    transport.onclose = () => {
      if (transport.sessionId !== undefined) sessions.delete(transport.sessionId);
    };
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  };

  const httpServer: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJsonRpcError(res, 500, errorMessage(err));
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(opts.port, opts.host, () => {
      httpServer.off('error', reject);
      resolve();
    });
  });
  const { port } = httpServer.address() as AddressInfo;
  return {
    role,
    transport: 'http',
    url: `http://${opts.host}:${port}/mcp`,
    async close() {
      const open = [...sessions.values()];
      sessions.clear();
      await Promise.allSettled(open.map((s) => s.server.close()));
      httpServer.closeAllConnections();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    },
  };
}

/** `node --import tsx src/engines/main.ts ROLE [--http --port N] [--host H]` */
export function parseEngineArgs(argv: readonly string[]): { role: Role; options: RunEngineOptions } {
  const [roleArg, ...rest] = argv;
  const role = Role.safeParse(roleArg);
  if (!role.success) {
    throw new BadInputError(
      `usage: engine ROLE [--http --port N]; ROLE is one of ${Role.options.join(', ')}`,
    );
  }
  const options: RunEngineOptions = {};
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (arg === '--http') options.http = true;
    else if (arg === '--port') options.port = Number(rest[++i]);
    else if (arg === '--host') options.host = rest[++i];
    else throw new BadInputError(`unknown engine option: ${arg}`);
  }
  return { role: role.data, options };
}

const invokedAsScript =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedAsScript) {
  try {
    const { role, options } = parseEngineArgs(process.argv.slice(2));
    const running = await runEngine(role, options);
    if (running.url !== undefined) process.stderr.write(`${role} engine listening on ${running.url}\n`);
    const stop = (): void => {
      running.close().finally(() => process.exit(0));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  } catch (err) {
    process.stderr.write(`${errorMessage(err)}\n`);
    process.exit(2);
  }
}
