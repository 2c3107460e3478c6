import type { RunStatus } from '../contracts/models.js';
import type { RunView } from './orchestrator.js';

/** The approval actor of a gate the policy passed. */
export const AUTO_ACTOR = 'policy:auto';

/** The object `run --json` and `status --json` print (DESIGN.md section 8). */
export interface RunSummary {
  runId: string;
  status: RunStatus;
  template: string;
  workspace: string;
  error: string | null;
  waitingAt: string[];
  /** Set when the run's starter turned gates to automatic: who, when, which; null when every gate waits. */
  autoApproval: { by: string; at: string; gates: string[] } | null;
  /** Gate steps that passed without a person (policy:auto), whoever set the policy. */
  autoApprovedGates: string[];
  steps: {
    key: string;
    status: string;
    attempts: number;
    durationMs: number | null;
    metrics: Record<string, number> | null;
    error: string | null;
  }[];
  deployments: { environment: string; url: string; version: string; status: string; pid: number | null }[];
}

export function summarize(view: RunView, deployments: RunSummary['deployments'] = []): RunSummary {
  return {
    runId: view.run.id,
    status: view.run.status,
    template: view.run.template,
    workspace: view.project.workspacePath,
    error: view.run.error,
    waitingAt: view.steps.filter((s) => s.status === 'waiting_approval').map((s) => s.key),
    autoApproval: view.run.options.autoApproval ?? null,
    autoApprovedGates: view.approvals.filter((a) => a.actor === AUTO_ACTOR).map((a) => a.stepKey),
    steps: view.steps.map((s) => ({
      key: s.key,
      status: s.status,
      attempts: view.attempts.filter((a) => a.stepKey === s.key).length,
      durationMs:
        s.startedAt !== null && s.finishedAt !== null
          ? Date.parse(s.finishedAt) - Date.parse(s.startedAt)
          : null,
      metrics: s.metrics,
      error: s.error,
    })),
    deployments,
  };
}
