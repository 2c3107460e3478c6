import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { TransportConfig } from '../config/engines.js';
import type { Role } from '../contracts/models.js';

/** Builds the in-process server for an inproc engine; the default loads the built-in offline engine. */
export type InprocServerFactory = (role: Role) => McpServer | Promise<McpServer>;

export const loadEmbeddedEngine: InprocServerFactory = async (role) => {
  // Loaded lazily: the embedded engines are the one place the coordinator reaches engine code.
  const { loadEngineServer } = await import('../engines/embedded.js');
  return loadEngineServer(role);
};

export interface OpenedTransport {
  transport: Transport;
  /** Child process id for stdio engines. */
  pid(): number | null;
  /** Last lines the child wrote to stderr, for error messages. */
  stderrTail(): string;
  /** Releases what the transport does not own (the in-process server; the HTTP session). */
  dispose(): Promise<void>;
}

const STDERR_TAIL_CHARS = 4_000;

/** Transport as shown by describe(): no env or headers, which may hold secrets. */
export function publicTransport(config: TransportConfig): Record<string, unknown> {
  switch (config.type) {
    case 'inproc':
    case 'worker':
      return { type: config.type };
    case 'stdio':
      return { type: 'stdio', command: config.command, args: config.args };
    case 'http':
      return { type: 'http', url: config.url };
  }
}

export async function openTransport(
  config: TransportConfig,
  role: Role | undefined,
  inprocFactory: InprocServerFactory,
): Promise<OpenedTransport> {
  switch (config.type) {
    case 'inproc': {
      if (role === undefined) throw new Error('an inproc transport needs an engine role');
      const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
      const server = await inprocFactory(role);
      await server.connect(serverSide);
      return {
        transport: clientSide,
        pid: () => null,
        stderrTail: () => '',
        dispose: () => server.close(),
      };
    }
    case 'worker': {
      if (role === undefined) throw new Error('a worker transport needs an engine role');
      // Loaded lazily, like the in-process engines: the one place the coordinator reaches engine code.
      const { openEngineWorker } = await import('../engines/embedded.js');
      const { transport, stderrTail } = openEngineWorker(role);
      return { transport, pid: () => null, stderrTail, dispose: async () => {} };
    }
    case 'stdio': {
      const transport = new StdioClientTransport({
        command: config.command,
        args: config.args,
        env: {
          ...getDefaultEnvironment(),
          // The configured sandbox mode (`sandbox` in config.json) holds in engine processes too.
          ...(process.env.POWERAUTO_SANDBOX ? { POWERAUTO_SANDBOX: process.env.POWERAUTO_SANDBOX } : {}),
          ...config.env,
        },
        cwd: config.cwd,
        stderr: 'pipe',
      });
      let tail = '';
      // Drained continuously: an unread pipe would eventually block the child.
      transport.stderr?.on('data', (chunk: Buffer) => {
        tail = (tail + chunk.toString('utf8')).slice(-STDERR_TAIL_CHARS);
      });
      return { transport, pid: () => transport.pid, stderrTail: () => tail, dispose: async () => {} };
    }
    case 'http': {
      const transport = new StreamableHTTPClientTransport(new URL(config.url), {
        requestInit: { headers: config.headers },
      });
      return {
        transport,
        pid: () => null,
        stderrTail: () => '',
        async dispose() {
          await transport.terminateSession().catch(() => {});
        },
      };
    }
  }
}
