import type { Command } from 'commander';
import { summarize } from '../../orchestrator/run-summary.js';
import type { Runtime } from '../../orchestrator/runtime.js';
import { act, EXIT, exitCodeForStatus } from '../exit-codes.js';
import { withRuntime } from '../runtime-scope.js';

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('show one run in detail, or the latest runs')
    .argument('[run]', 'run id')
    .option('--json', 'print JSON')
    .action(
      act(async (runId: string | undefined, flags: { json?: boolean }) =>
        withRuntime(async (runtime) => {
          if (runId !== undefined) {
            const status = await printSummary(runtime, runId, flags.json === true);
            return exitCodeForStatus(status);
          }
          const runs = await runtime.orchestrator.listRuns({ limit: 20 });
          if (flags.json) {
            process.stdout.write(
              `${JSON.stringify(runs.map(({ requirement: _r, options: _o, ...run }) => run))}\n`,
            );
          } else if (runs.length === 0) {
            process.stdout.write('no runs yet: powerauto run "<requirement>"\n');
          } else {
            for (const run of runs) {
              process.stdout.write(
                `${run.id}  ${run.status.padEnd(16)} ${run.template.padEnd(9)} ${run.createdAt}  ${run.requirement.slice(0, 50)}\n`,
              );
            }
          }
          return EXIT.ok;
        }),
      ),
    );
}

export function registerDeployments(program: Command): void {
  program
    .command('deployments')
    .description('list what runs where, with a live health check of each URL')
    .option('--json', 'print JSON')
    .action(
      act(async (flags: { json?: boolean }) =>
        withRuntime(async (runtime) => {
          const deployments = await runtime.orchestrator.operations.deployments();
          if (flags.json) process.stdout.write(`${JSON.stringify(deployments)}\n`);
          else if (deployments.length === 0) process.stdout.write('no deployments\n');
          for (const d of flags.json ? [] : deployments) {
            const live = d.live === null ? '' : d.live ? ' live' : ' NOT ANSWERING';
            process.stdout.write(
              `${d.environment.padEnd(11)} ${d.url.padEnd(28)} ${d.version.padEnd(10)} ${d.status}${live}  run ${d.runId ?? '-'}  ${d.project}\n`,
            );
          }
          return EXIT.ok;
        }),
      ),
    );
}

export async function printSummary(runtime: Runtime, runId: string, json: boolean) {
  const deployments = await runtime.orchestrator.operations.deployments({ runId });
  const summary = summarize(
    await runtime.orchestrator.getRunView(runId),
    deployments.map(({ environment, url, version, status, pid }) => ({
      environment,
      url,
      version,
      status,
      pid,
    })),
  );
  if (json) {
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    return summary.status;
  }
  process.stdout.write(
    `run ${summary.runId}: ${summary.status}${summary.error ? ` (${summary.error})` : ''}\n`,
  );
  process.stdout.write(`workspace: ${summary.workspace}\n`);
  if (summary.autoApprovedGates.length > 0) {
    const by = summary.autoApproval === null ? 'the config file' : summary.autoApproval.by;
    process.stdout.write(
      `auto-approved without review (set by ${by}): ${summary.autoApprovedGates.join(', ')}\n`,
    );
  }
  for (const d of summary.deployments) {
    process.stdout.write(`${d.environment}: ${d.url} (${d.version}, ${d.status})\n`);
  }
  for (const step of summary.steps) {
    const duration = step.durationMs === null ? '' : `${(step.durationMs / 1000).toFixed(1)}s`;
    process.stdout.write(
      `  ${step.key.padEnd(20)} ${step.status.padEnd(17)} ${duration.padStart(7)}${step.error ? `  ${step.error}` : ''}\n`,
    );
  }
  return summary.status;
}
