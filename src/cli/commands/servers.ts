import type { Command } from 'commander';
import { startApiServer } from '../../api/server.js';
import { BadInputError } from '../../contracts/errors.js';
import { serveMcpStdio } from '../../mcp/stdio.js';
import { act, EXIT } from '../exit-codes.js';
import { withRuntime } from '../runtime-scope.js';

export function registerServers(program: Command): void {
  program
    .command('serve')
    .description(
      'serve the REST + WebSocket API, the SmartUI and the MCP endpoint, with the embedded engines',
    )
    .option('--host <host>', 'address to bind (default from config: 127.0.0.1)')
    .option('--port <n>', 'port (default from config: 7420)')
    .action(
      act(async (flags: { host?: string; port?: string }) =>
        withRuntime(async (runtime) => {
          const port = flags.port === undefined ? undefined : Number(flags.port);
          if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65_535)) {
            throw new BadInputError(`invalid --port ${flags.port}`);
          }
          const server = await startApiServer(runtime, {
            ...(flags.host === undefined ? {} : { host: flags.host }),
            ...(port === undefined ? {} : { port }),
          });
          process.stderr.write(
            `PowerAutomation serving on ${server.url}  (SmartUI /, API /api/v1, docs /docs, MCP /mcp, metrics /metrics)\n` +
              `data: ${runtime.home}\n`,
          );
          // Runs a previous process left running carry on here.
          void runtime.orchestrator.recover().catch(() => {});
          await new Promise<void>((resolve) => {
            process.once('SIGINT', resolve);
            process.once('SIGTERM', resolve);
          });
          process.stderr.write('shutting down\n');
          await server.close();
          return EXIT.ok;
        }),
      ),
    );

  program
    .command('mcp')
    .description('serve the orchestrator as an MCP server on stdio (for Claude Desktop, Cursor, Kilo Code)')
    .action(
      act(async () =>
        withRuntime(async (runtime) => {
          // Runs left running by a previous process carry on here too.
          void runtime.orchestrator.recover().catch(() => {});
          await serveMcpStdio(runtime);
          return EXIT.ok;
        }),
      ),
    );
}
