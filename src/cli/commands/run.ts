import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { loadConfig } from '../../config/index.js';
import { BadInputError } from '../../contracts/errors.js';
import { GateName, TemplateName } from '../../contracts/models.js';
import { estimateRun, formatEstimate } from '../../orchestrator/estimate.js';
import { carryOn, cliActor } from '../carry-on.js';
import { act, EXIT, exitCodeForStatus } from '../exit-codes.js';
import { withRuntime } from '../runtime-scope.js';
import { printSummary } from './status.js';

interface RunFlags {
  file?: string;
  template: string;
  yes?: boolean;
  detach?: boolean;
  json?: boolean;
  workspace?: string;
  maxFixRounds?: string;
  estimate?: boolean;
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('take a requirement through the pipeline')
    .argument('[requirement]', 'what to build, in English or Chinese (or use --file)')
    .option('-f, --file <path>', 'read the requirement from a file ("-" for standard input)')
    .option('-t, --template <name>', `pipeline template: ${TemplateName.options.join(', ')}`, 'full')
    .option('-y, --yes', 'approve every gate automatically')
    .option('--detach', 'leave deployed services running after the command ends')
    .option('--json', 'print one final JSON object on stdout')
    .option('--workspace <dir>', 'put the project git workspace here (a new or empty folder)')
    .option('--max-fix-rounds <n>', 'rounds of the test fix loop (0-10)', '3')
    .option('--estimate', 'print the expected model cost and exit without running')
    .action(
      act(async (requirementArg: string | undefined, flags: RunFlags) => {
        const template = TemplateName.safeParse(flags.template);
        if (!template.success) {
          throw new BadInputError(
            `unknown template "${flags.template}" (use ${TemplateName.options.join(', ')})`,
          );
        }
        const maxFixRounds = Number(flags.maxFixRounds);
        if (!Number.isInteger(maxFixRounds) || maxFixRounds < 0 || maxFixRounds > 10) {
          throw new BadInputError('--max-fix-rounds takes a whole number from 0 to 10');
        }
        const requirement = await readRequirement(requirementArg, flags.file);
        if (flags.estimate) {
          const text = typeof requirement === 'string' ? requirement : new TextDecoder().decode(requirement);
          const estimate = estimateRun(loadConfig().config.llm, template.data, text, maxFixRounds);
          process.stdout.write(flags.json ? `${JSON.stringify(estimate)}\n` : formatEstimate(estimate));
          return EXIT.ok;
        }
        return withRuntime(async (runtime) => {
          const gatePolicies = flags.yes ? Object.fromEntries(GateName.options.map((g) => [g, 'auto'])) : {};
          const run = await runtime.orchestrator.startRun({
            requirement,
            template: template.data,
            options: { gatePolicies, maxFixRounds },
            actor: cliActor(),
            ...(flags.workspace === undefined ? {} : { workspace: flags.workspace }),
          });
          process.stderr.write(`run ${run.id} (${template.data}) started\n`);
          const interactive = !flags.yes && process.stdin.isTTY === true && !flags.json;
          const done = await carryOn(runtime, run.id, { interactive, actor: cliActor() });
          await printSummary(runtime, done.id, flags.json === true);
          return exitCodeForStatus(done.status);
        });
      }),
    );
}

async function readRequirement(
  argument: string | undefined,
  file: string | undefined,
): Promise<string | Uint8Array> {
  if (argument !== undefined && file !== undefined)
    throw new BadInputError('give the requirement as an argument or with --file, not both');
  if (file === undefined) {
    if (argument === undefined)
      throw new BadInputError('no requirement given: powerauto run "<requirement>" or --file PATH');
    return argument;
  }
  try {
    if (file === '-') {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    }
    return await readFile(file);
  } catch (err) {
    throw new BadInputError(
      `cannot read the requirement from ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
}
