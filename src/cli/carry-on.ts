import type { Run } from '../contracts/models.js';
import type { Runtime } from '../orchestrator/runtime.js';
import { askAtGate } from './gate-prompt.js';
import { ProgressView } from './progress.js';

export interface CarryOnOptions {
  /** Ask at gates in the terminal; without it a waiting run stops and says how to decide. */
  interactive: boolean;
  actor: string;
}

/**
 * Drives a run in the foreground with live progress until it finishes, or waits at a gate that
 * nobody here can answer. Shared by run, resume, approve, reject and rollback.
 */
export async function carryOn(runtime: Runtime, runId: string, options: CarryOnOptions): Promise<Run> {
  const { orchestrator } = runtime;
  const view = new ProgressView(process.stderr, (await orchestrator.getRunView(runId)).steps);
  const last = await orchestrator.lastEventSeq(runId);
  const unsubscribe = await orchestrator.watch(runId, last, (event) => view.onEvent(event));
  try {
    for (;;) {
      const run = await orchestrator.drive(runId);
      if (run.status !== 'waiting_approval') return run;
      const pending = await orchestrator.pendingApprovals(runId);
      if (!options.interactive) {
        view.stop();
        for (const { step } of pending) {
          const gate = step.key.replace(/^gate:/, '');
          process.stderr.write(
            `\nRun ${runId} waits at ${step.key}.${step.error ? ` ${step.error}` : ''}\n` +
              `  approve: powerauto approve ${runId} --gate ${gate}\n` +
              `  reject:  powerauto reject ${runId} --gate ${gate} --feedback "what to change"\n`,
          );
        }
        return run;
      }
      const first = pending[0];
      if (first === undefined) return run;
      view.stop();
      const answer = await askAtGate(first.step, first.artifact);
      if (answer.decision === 'stop') return run;
      if (answer.decision === 'approve')
        await orchestrator.approve(runId, first.step.key, { actor: options.actor });
      else
        await orchestrator.reject(runId, first.step.key, { actor: options.actor, feedback: answer.feedback });
    }
  } finally {
    unsubscribe();
    view.stop();
  }
}

export function cliActor(): string {
  return `cli:${process.env.USER ?? process.env.USERNAME ?? 'local'}`;
}
