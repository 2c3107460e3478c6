import { z } from 'zod';
import { Metrics } from './models.js';

// Draft: the monitoring issue completes these shapes.

export const Alert = z.object({
  id: z.string(),
  rule: z.string(),
  severity: z.enum(['info', 'warning', 'critical']),
  state: z.enum(['firing', 'resolved']),
  message: z.string(),
  firedAt: z.string(),
  resolvedAt: z.string().nullable(),
});
export type Alert = z.infer<typeof Alert>;

export const MonitoringReport = z.object({
  environment: z.string(),
  url: z.string(),
  alerts: z.array(Alert),
  suggestions: z.array(z.string()),
  metrics: Metrics,
});
export type MonitoringReport = z.infer<typeof MonitoringReport>;
