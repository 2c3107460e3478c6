import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';
import { BadInputError, errorMessage } from '../contracts/errors.js';
import { Role } from '../contracts/models.js';
import { McpHttpSessions, sendJsonRpcError } from '../mcp/streamable-http.js';
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

async function serveHttp(
  role: Role,
  opts: z.output<typeof RunEngineOptions>,
  serverFactory: EngineServerFactory,
): Promise<RunningEngine> {
  const sessions = new McpHttpSessions(serverFactory);
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/mcp') {
      res.writeHead(404).end();
      return;
    }
    await sessions.handle(req, res);
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
      await sessions.close();
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
