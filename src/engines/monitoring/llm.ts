import { z } from 'zod';
import type { MonitoringReport } from '../../contracts/monitoring.js';
import type { Brain } from '../brain.js';
import { createLlmBrain, type EngineLlm, type LlmTool } from '../llm-brain.js';
import { offlineBrain } from './offline.js';

export const SuggestionsAnswer = z.object({ suggestions: z.array(z.string()).max(5) });

// Samples change from run to run; the model sees rounded measurements, the alerts and the routes.
const round = (n: number) => Number(n.toPrecision(2));

/** Measuring, alerting and rolling back stay deterministic; the model adds suggestions to the report. */
const suggest: LlmTool = {
  augment: async (out, _raw, _ctx, llm) => {
    const report = out as MonitoringReport;
    const { suggestions } = await llm.structured(SuggestionsAnswer, {
      system: await llm.prompt('monitor_report'),
      messages: [
        {
          role: 'user',
          content: JSON.stringify({
            environment: report.environment,
            metrics: Object.fromEntries(Object.entries(report.metrics).map(([k, v]) => [k, round(v)])),
            alerts: report.alerts.map((a) => ({ rule: a.rule, severity: a.severity, state: a.state })),
            routes: report.routes.map((r) => ({
              route: `${r.method} ${r.route}`,
              errorRate: round(r.errorRate),
            })),
          }),
        },
      ],
      schemaName: 'suggestions',
    });
    return {
      ...report,
      suggestions: [...report.suggestions, ...suggestions.map((s) => `[${llm.model}] ${s}`)],
    };
  },
};

export function createMonitoringLlmBrain(engine: EngineLlm): Brain {
  return createLlmBrain(offlineBrain, { monitor_start: suggest, monitor_report: suggest }, engine);
}
