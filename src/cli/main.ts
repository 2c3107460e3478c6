#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { registerDecisions } from './commands/decide.js';
import { registerEngines } from './commands/engines.js';
import { registerRun } from './commands/run.js';
import { registerServers } from './commands/servers.js';
import { registerDeployments, registerStatus } from './commands/status.js';
import { describeError, EXIT, exitCodeForError } from './exit-codes.js';

export function buildProgram(): Command {
  const program = new Command('powerauto')
    .description(
      'PowerAutomation Product Orchestrator: from a requirement to a running, tested, monitored service',
    )
    .version('0.1.0')
    .showHelpAfterError('(powerauto --help lists the commands)');
  registerRun(program);
  registerStatus(program);
  registerDeployments(program);
  registerDecisions(program);
  registerEngines(program);
  registerServers(program);
  for (const command of [program, ...program.commands]) command.exitOverride();
  return program;
}

try {
  await buildProgram().parseAsync(process.argv.slice(2), { from: 'user' });
} catch (err) {
  if (err instanceof CommanderError) {
    // Help and version exit 0; every other commander error is a usage error.
    process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  } else {
    process.stderr.write(`powerauto: ${describeError(err)}\n`);
    process.exitCode = exitCodeForError(err);
  }
}
