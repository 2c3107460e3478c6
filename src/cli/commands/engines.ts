import type { Command } from 'commander';
import { BadInputError } from '../../contracts/errors.js';
import { Role } from '../../contracts/models.js';
import { runEngine } from '../../engines/main.js';
import { act, EXIT } from '../exit-codes.js';
import { withRuntime } from '../runtime-scope.js';

export function registerEngines(program: Command): void {
  program
    .command('engines')
    .description('list connected engines and auxiliary servers with their tools, health and breaker state')
    .option('--json', 'print JSON')
    .action(
      act(async (flags: { json?: boolean }) =>
        withRuntime(async (runtime) => {
          const servers = runtime.coordinator.describe();
          if (flags.json) {
            process.stdout.write(`${JSON.stringify(servers)}\n`);
          } else {
            for (const s of servers) {
              process.stdout.write(
                `${s.instance.padEnd(18)} ${(s.role ?? 'auxiliary').padEnd(13)} ${String(s.transport.type).padEnd(7)} ${s.health.padEnd(9)} breaker ${s.breaker.padEnd(9)} ${s.tools.join(', ')}\n`,
              );
            }
          }
          return EXIT.ok;
        }),
      ),
    );

  program
    .command('engine')
    .description('serve one built-in engine as an MCP server (stdio, or Streamable HTTP with --http)')
    .argument('<role>', `one of ${Role.options.join(', ')}`)
    .option('--http', 'serve Streamable HTTP instead of stdio')
    .option('--port <n>', 'HTTP port (0 picks a free one)', '0')
    .option('--host <host>', 'HTTP host', '127.0.0.1')
    .action(
      act(async (roleArg: string, flags: { http?: boolean; port: string; host: string }) => {
        const role = Role.safeParse(roleArg);
        if (!role.success)
          throw new BadInputError(`unknown engine role "${roleArg}" (use ${Role.options.join(', ')})`);
        const port = Number(flags.port);
        if (!Number.isInteger(port) || port < 0 || port > 65_535)
          throw new BadInputError(`invalid --port ${flags.port}`);
        const running = await runEngine(role.data, { http: flags.http === true, port, host: flags.host });
        if (running.url !== undefined)
          process.stderr.write(`${role.data} engine listening on ${running.url}\n`);
        await new Promise<void>((resolve) => {
          const stop = () => void running.close().finally(resolve);
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
          // stdio: the client closing our stdin ends the session.
          if (running.url === undefined) process.stdin.once('end', stop);
        });
        return EXIT.ok;
      }),
    );
}
