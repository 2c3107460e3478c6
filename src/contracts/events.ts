import { z } from 'zod';
import { RunStatus, StepStatus } from './models.js';

/** Event payloads by type. Every event row carries a per-run sequence number. */
export const EventPayloads = {
  'run.created': z.object({ template: z.string(), projectId: z.string() }),
  'run.status': z.object({ from: RunStatus, to: RunStatus, error: z.string().nullable().optional() }),
  'step.status': z.object({
    step: z.string(),
    from: StepStatus,
    to: StepStatus,
    attempt: z.number().int(),
    error: z.string().nullable().optional(),
  }),
  'step.progress': z.object({
    step: z.string(),
    attempt: z.number().int(),
    progress: z.number(),
    total: z.number().optional(),
    message: z.string().optional(),
  }),
  'artifact.created': z.object({
    step: z.string(),
    artifactId: z.string(),
    kind: z.string(),
    version: z.number().int(),
  }),
  'gate.decided': z.object({
    gate: z.string(),
    decision: z.enum(['approved', 'rejected', 'edited']),
    actor: z.string(),
  }),
  'quality.evaluated': z.object({ step: z.string(), gate: z.string(), passed: z.boolean() }),
  'run.rolled_back': z.object({ to: z.string(), commit: z.string().nullable() }),
} as const;

export type EventType = keyof typeof EventPayloads;
export const EventType = z.enum(Object.keys(EventPayloads) as [EventType, ...EventType[]]);

export type EventPayload<T extends EventType> = z.infer<(typeof EventPayloads)[T]>;

export const RunEvent = z.object({
  runId: z.string(),
  seq: z.number().int().positive(),
  type: EventType,
  payload: z.unknown(),
  createdAt: z.string(),
});
export type RunEvent = z.infer<typeof RunEvent>;
