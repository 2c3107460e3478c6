import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { BadInputError } from '../../contracts/errors.js';
import type { Runtime } from '../../orchestrator/runtime.js';
import { carryOn, cliActor } from '../carry-on.js';
import { act, EXIT, exitCodeForStatus } from '../exit-codes.js';
import { withRuntime } from '../runtime-scope.js';
import { printSummary } from './status.js';

interface ContinueFlags {
  continue: boolean;
  json?: boolean;
}

/** After a decision: carry the run on to the next gate or the end, unless --no-continue. */
async function continueRun(runtime: Runtime, runId: string, flags: ContinueFlags): Promise<number> {
  if (!flags.continue) {
    await printSummary(runtime, runId, flags.json === true);
    return EXIT.ok;
  }
  const interactive = process.stdin.isTTY === true && !flags.json;
  const run = await carryOn(runtime, runId, { interactive, actor: cliActor() });
  await printSummary(runtime, runId, flags.json === true);
  return exitCodeForStatus(run.status);
}

export function registerDecisions(program: Command): void {
  program
    .command('approve')
    .description('approve the gate a run waits at, then carry the run on')
    .argument('<run>', 'run id')
    .option('-g, --gate <gate>', 'gate (requirements, architecture, code_review, release) or waiting step')
    .option('-c, --comment <text>', 'a comment for the audit log')
    .option('--edit <file>', 'approve an edited artifact (JSON file) as a new version')
    .option('--no-continue', 'only record the decision')
    .option('--json', 'print JSON')
    .action(
      act(async (runId: string, flags: ContinueFlags & { gate?: string; comment?: string; edit?: string }) =>
        withRuntime(async (runtime) => {
          const edited = flags.edit === undefined ? undefined : await readJsonFile(flags.edit);
          await runtime.orchestrator.approve(runId, flags.gate, {
            actor: cliActor(),
            ...(flags.comment === undefined ? {} : { comment: flags.comment }),
            ...(edited === undefined ? {} : { edited }),
          });
          return continueRun(runtime, runId, flags);
        }),
      ),
    );

  program
    .command('reject')
    .description('reject the gate with feedback: its stage re-runs with it')
    .argument('<run>', 'run id')
    .requiredOption('--feedback <text>', 'what to change')
    .option('-g, --gate <gate>', 'gate or waiting step')
    .option('--no-continue', 'only record the decision')
    .option('--json', 'print JSON')
    .action(
      act(async (runId: string, flags: ContinueFlags & { gate?: string; feedback: string }) =>
        withRuntime(async (runtime) => {
          await runtime.orchestrator.reject(runId, flags.gate, {
            actor: cliActor(),
            feedback: flags.feedback,
          });
          return continueRun(runtime, runId, flags);
        }),
      ),
    );

  program
    .command('resume')
    .description('carry on a run (or every unfinished run) from where it stopped')
    .argument('[run]', 'run id; without it, every run left running')
    .option('--json', 'print JSON')
    .action(
      act(async (runId: string | undefined, flags: { json?: boolean }) =>
        withRuntime(async (runtime) => {
          if (runId !== undefined) {
            await runtime.orchestrator.resume(runId, cliActor());
            return continueRun(runtime, runId, { continue: true, ...flags });
          }
          const runs = await runtime.orchestrator.listRuns({ statuses: ['running', 'created'] });
          if (runs.length === 0) process.stderr.write('no unfinished runs\n');
          let code: number = EXIT.ok;
          for (const run of runs)
            code = Math.max(code, await continueRun(runtime, run.id, { continue: true, ...flags }));
          return code;
        }),
      ),
    );

  program
    .command('rollback')
    .description("reset the workspace to a stage's commit and re-run what follows")
    .argument('<run>', 'run id')
    .requiredOption('--to <stage>', 'the stage to go back to (its result is kept)')
    .option('--no-continue', 'only roll back')
    .option('--json', 'print JSON')
    .action(
      act(async (runId: string, flags: ContinueFlags & { to: string }) =>
        withRuntime(async (runtime) => {
          await runtime.orchestrator.rollback(runId, flags.to, cliActor());
          return continueRun(runtime, runId, flags);
        }),
      ),
    );

  program
    .command('stop')
    .description('cancel a run and stop the services it deployed')
    .argument('<run>', 'run id')
    .action(
      act(async (runId: string) =>
        withRuntime(async (runtime) => {
          const run = await runtime.orchestrator.cancel(runId, cliActor());
          const stopped = await runtime.orchestrator.operations.stop(runId, cliActor());
          process.stdout.write(`run ${runId}: ${run.status}\n`);
          for (const d of stopped) process.stdout.write(`stopped ${d.environment} ${d.url} (${d.version})\n`);
          return EXIT.ok;
        }),
      ),
    );
}

async function readJsonFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new BadInputError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new BadInputError(`${path} is not valid JSON: ${(err as Error).message}`);
  }
}
