import { z } from 'zod';

export const Role = z.enum(['requirements', 'architecture', 'coding', 'testing', 'deployment', 'monitoring']);
export type Role = z.infer<typeof Role>;

export const TemplateName = z.enum(['full', 'prototype', 'design']);
export type TemplateName = z.infer<typeof TemplateName>;

export const StepStatus = z.enum([
  'pending',
  'ready',
  'running',
  'succeeded',
  'failed',
  'waiting_approval',
  'cancelled',
  'skipped',
]);
export type StepStatus = z.infer<typeof StepStatus>;

export const RunStatus = z.enum([
  'created',
  'running',
  'waiting_approval',
  'paused',
  'succeeded',
  'failed',
  'cancelled',
]);
export type RunStatus = z.infer<typeof RunStatus>;

export const GateName = z.enum(['requirements', 'architecture', 'code_review', 'release']);
export type GateName = z.infer<typeof GateName>;

export const GatePolicy = z.enum(['required', 'auto']);
export type GatePolicy = z.infer<typeof GatePolicy>;

export const StepKind = z.enum(['tool', 'approval']);
export type StepKind = z.infer<typeof StepKind>;

/** Measured numbers a step reports; quality gates read only these. */
export const Metrics = z.record(z.string(), z.number());
export type Metrics = z.infer<typeof Metrics>;

/** Who asked for automatic gates, when, and which: set by the orchestrator, never by the caller. */
export const AutoApproval = z.object({
  by: z.string(),
  at: z.string(),
  gates: z.array(GateName),
});
export type AutoApproval = z.infer<typeof AutoApproval>;

export const RunOptions = z.object({
  gatePolicies: z.partialRecord(GateName, GatePolicy).default({}),
  maxFixRounds: z.number().int().min(0).max(10).default(3),
  autoApproval: AutoApproval.optional(),
});
export type RunOptions = z.infer<typeof RunOptions>;

export const Project = z.object({
  id: z.string(),
  name: z.string(),
  workspacePath: z.string(),
  createdAt: z.string(),
});
export type Project = z.infer<typeof Project>;

export const Run = z.object({
  id: z.string(),
  projectId: z.string(),
  template: TemplateName,
  status: RunStatus,
  requirement: z.string(),
  options: RunOptions,
  error: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Run = z.infer<typeof Run>;

export const QualityCheck = z.object({
  metric: z.string(),
  op: z.enum(['>=', '<=', '==', '>', '<']),
  threshold: z.number(),
  actual: z.number().nullable(),
  passed: z.boolean(),
});
export type QualityCheck = z.infer<typeof QualityCheck>;

export const QualityGateResult = z.object({
  gate: z.string(),
  passed: z.boolean(),
  checks: z.array(QualityCheck),
});
export type QualityGateResult = z.infer<typeof QualityGateResult>;

export const Step = z.object({
  runId: z.string(),
  key: z.string(),
  kind: StepKind,
  role: Role.nullable(),
  tool: z.string().nullable(),
  dependsOn: z.array(z.string()),
  status: StepStatus,
  attempt: z.number().int(),
  maxAttempts: z.number().int(),
  feedback: z.string().nullable(),
  artifactId: z.string().nullable(),
  workspaceCommit: z.string().nullable(),
  metrics: Metrics.nullable(),
  quality: QualityGateResult.nullable(),
  error: z.string().nullable(),
  notBefore: z.string().nullable(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
});
export type Step = z.infer<typeof Step>;

export const AttemptStatus = z.enum(['running', 'succeeded', 'failed', 'cancelled']);
export type AttemptStatus = z.infer<typeof AttemptStatus>;

export const StepAttempt = z.object({
  runId: z.string(),
  stepKey: z.string(),
  attempt: z.number().int(),
  idempotencyKey: z.string(),
  status: AttemptStatus,
  error: z.string().nullable(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
});
export type StepAttempt = z.infer<typeof StepAttempt>;

export const Decision = z.enum(['approved', 'rejected', 'edited']);
export type Decision = z.infer<typeof Decision>;

export const Approval = z.object({
  id: z.string(),
  runId: z.string(),
  stepKey: z.string(),
  decision: Decision,
  actor: z.string(),
  comment: z.string().nullable(),
  createdAt: z.string(),
});
export type Approval = z.infer<typeof Approval>;

export const Artifact = z.object({
  id: z.string(),
  runId: z.string(),
  stepKey: z.string(),
  kind: z.string(),
  version: z.number().int(),
  content: z.unknown(),
  workspaceCommit: z.string().nullable(),
  createdAt: z.string(),
});
export type Artifact = z.infer<typeof Artifact>;

export const UserRole = z.enum(['admin', 'maintainer', 'reviewer', 'viewer']);
export type UserRole = z.infer<typeof UserRole>;

export const User = z.object({
  id: z.string(),
  username: z.string(),
  role: UserRole,
  createdAt: z.string(),
});
export type User = z.infer<typeof User>;

export const AuditRecord = z.object({
  id: z.string(),
  actor: z.string(),
  action: z.string(),
  target: z.string(),
  detail: z.unknown(),
  createdAt: z.string(),
});
export type AuditRecord = z.infer<typeof AuditRecord>;
