import type { Command } from 'commander';
import { serveMcpStdio } from '../../mcp/stdio.js';
import { act, EXIT } from '../exit-codes.js';
import { withRuntime } from '../runtime-scope.js';

export function registerServers(program: Command): void {
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
