// Column types as stored. JSON lives in TEXT columns so the same code runs on SQLite and PostgreSQL.

export interface ProjectsTable {
  id: string;
  name: string;
  workspacePath: string;
  createdAt: string;
}

export interface RunsTable {
  id: string;
  projectId: string;
  template: string;
  status: string;
  requirement: string;
  options: string;
  error: string | null;
  eventSeq: number;
  leaseOwner: string | null;
  leaseUntil: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface StepsTable {
  runId: string;
  key: string;
  position: number;
  kind: string;
  role: string | null;
  tool: string | null;
  dependsOn: string;
  status: string;
  attempt: number;
  maxAttempts: number;
  feedback: string | null;
  artifactId: string | null;
  workspaceCommit: string | null;
  metrics: string | null;
  quality: string | null;
  error: string | null;
  notBefore: string | null;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface StepAttemptsTable {
  runId: string;
  stepKey: string;
  attempt: number;
  idempotencyKey: string;
  status: string;
  error: string | null;
  startedAt: string;
  finishedAt: string | null;
  /** JSON: LLM usage metrics a failed attempt reported (`LlmUsageMetrics`), else null. */
  metrics: string | null;
}

export interface ApprovalsTable {
  id: string;
  runId: string;
  stepKey: string;
  decision: string;
  actor: string;
  comment: string | null;
  createdAt: string;
}

export interface ArtifactsTable {
  id: string;
  runId: string;
  stepKey: string;
  kind: string;
  version: number;
  content: string;
  workspaceCommit: string | null;
  createdAt: string;
}

export interface EventsTable {
  runId: string;
  seq: number;
  type: string;
  payload: string;
  createdAt: string;
}

export interface AuditLogTable {
  id: string;
  actor: string;
  action: string;
  target: string;
  detail: string;
  createdAt: string;
}

export interface UsersTable {
  id: string;
  username: string;
  role: string;
  passwordHash: string | null;
  createdAt: string;
}

export interface ApiTokensTable {
  id: string;
  userId: string;
  name: string;
  tokenHash: string;
  createdAt: string;
  lastUsedAt: string | null;
}

export interface EngineCallsTable {
  id: string;
  runId: string | null;
  stepKey: string | null;
  role: string;
  tool: string;
  instance: string;
  outcome: string;
  latencyMs: number;
  requestBytes: number;
  responseBytes: number;
  idempotencyKey: string | null;
  createdAt: string;
}

export interface ReleasesTable {
  id: string;
  runId: string | null;
  project: string;
  version: string;
  previousVersion: string | null;
  bump: string;
  tag: string;
  commit: string;
  artifactPath: string;
  sha256: string;
  notes: string;
  requirementIds: string;
  files: string;
  metrics: string;
  createdAt: string;
}

export interface DeploymentsTable {
  id: string;
  runId: string | null;
  stepKey: string | null;
  idempotencyKey: string | null;
  project: string;
  environment: string;
  plugin: string;
  url: string;
  version: string;
  previousVersion: string | null;
  status: string;
  pid: number | null;
  reason: string | null;
  smoke: string;
  metrics: string;
  createdAt: string;
  updatedAt: string;
}

export interface AlertsTable {
  id: string;
  runId: string | null;
  project: string;
  environment: string;
  version: string | null;
  rule: string;
  severity: string;
  state: string;
  message: string;
  value: number | null;
  threshold: number | null;
  firedAt: string;
  resolvedAt: string | null;
}

export interface MonitoringSamplesTable {
  project: string;
  environment: string;
  at: string;
  runId: string | null;
  version: string | null;
  healthy: number;
  requests: number;
  errors: number;
  requestRate: number;
  errorRate: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
  cpuPercent: number | null;
  memoryMb: number | null;
}

export interface Database {
  projects: ProjectsTable;
  runs: RunsTable;
  steps: StepsTable;
  stepAttempts: StepAttemptsTable;
  approvals: ApprovalsTable;
  artifacts: ArtifactsTable;
  events: EventsTable;
  auditLog: AuditLogTable;
  users: UsersTable;
  apiTokens: ApiTokensTable;
  engineCalls: EngineCallsTable;
  releases: ReleasesTable;
  deployments: DeploymentsTable;
  alerts: AlertsTable;
  monitoringSamples: MonitoringSamplesTable;
}
