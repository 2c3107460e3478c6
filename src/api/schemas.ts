import { z } from 'zod';
import { RunEvent } from '../contracts/events.js';
import {
  Approval,
  Artifact,
  AuditRecord,
  GateName,
  GatePolicy,
  Project,
  Run,
  Step,
  StepAttempt,
  TemplateName,
  UserRole,
} from '../contracts/models.js';

// Request and response shapes of REST /api/v1. Domain models come from src/contracts.

const Id = z.string().min(1).max(100);

export const RunIdParams = z.object({ runId: Id });
export const ProjectIdParams = z.object({ projectId: Id });
export const GateParams = z.object({ runId: Id, gate: Id });
export const StepParams = z.object({ runId: Id, stepKey: Id });
export const IdParams = z.object({ id: Id });

export const LoginBody = z.object({
  username: z.string().min(1).max(100),
  password: z.string().min(1).max(1000),
});
export const UserView = z
  .object({
    id: z.string(),
    username: z.string(),
    role: UserRole,
    disabled: z.boolean(),
    createdAt: z.string(),
  })
  .meta({ id: 'User' });
export const Session = z.object({
  token: z.string(),
  tokenType: z.literal('Bearer'),
  expiresAt: z.string(),
  user: UserView,
  permissions: z.array(z.string()),
});
export const Me = z.object({
  user: UserView,
  permissions: z.array(z.string()),
  via: z.enum(['jwt', 'token']),
});

export const CreateProjectBody = z.object({ name: z.string().trim().min(1).max(120) });
export const ProjectList = z.object({ projects: z.array(Project.meta({ id: 'Project' })) });

const GatePolicies = z.partialRecord(GateName, GatePolicy);
export const CreateRunBody = z.object({
  requirement: z.string().trim().min(1, 'the requirement is empty: describe what to build'),
  template: TemplateName.default('full'),
  projectId: Id.optional(),
  options: z
    .object({
      gatePolicies: GatePolicies.optional(),
      maxFixRounds: z.number().int().min(0).max(10).optional(),
    })
    .default({}),
});
export const RunList = z.object({ runs: z.array(Run.meta({ id: 'Run' })) });
export const RunListQuery = z.object({
  projectId: Id.optional(),
  status: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export const RunStatusView = z.object({
  id: z.string(),
  status: Run.shape.status,
  error: z.string().nullable(),
  updatedAt: z.string(),
  steps: z.array(z.object({ key: z.string(), status: Step.shape.status })),
});
export const RunViewResponse = z
  .object({
    run: Run,
    project: Project,
    steps: z.array(Step.meta({ id: 'Step' })),
    attempts: z.array(StepAttempt),
    approvals: z.array(Approval.meta({ id: 'Approval' })),
  })
  .meta({ id: 'RunView' });
export const RollbackBody = z.object({ to: Id });

export const ApproveBody = z.object({
  comment: z.string().max(10_000).optional(),
  /** Edit and approve: the corrected artifact, validated against the stage's contract. */
  edited: z.unknown().optional(),
});
export const RejectBody = z.object({
  feedback: z.string().trim().min(1, 'rejecting needs feedback: say what to change').max(20_000),
});
export const PendingApprovals = z.object({
  pending: z.array(
    z.object({ runId: z.string(), gate: z.string(), step: Step, artifact: Artifact.nullable() }),
  ),
});

export const ArtifactList = z.object({ artifacts: z.array(Artifact.meta({ id: 'Artifact' })) });
export const ArtifactVersionParams = z.object({
  runId: Id,
  stepKey: Id,
  version: z.coerce.number().int().min(1),
});
export const DiffQuery = z.object({
  from: z.coerce.number().int().min(1),
  to: z.coerce.number().int().min(1),
});
export const ArtifactDiff = z.object({
  stepKey: z.string(),
  from: z.number().int(),
  to: z.number().int(),
  /** Unified diff of the two versions as pretty-printed JSON; empty when `tooLarge`. */
  patch: z.string(),
  /** The edit was too large to diff within the server's bounds; `added`/`removed` still count lines. */
  tooLarge: z.boolean(),
  added: z.number().int(),
  removed: z.number().int(),
});

export const EngineList = z.object({
  engines: z.array(
    z.object({
      kind: z.enum(['engine', 'auxiliary']),
      name: z.string(),
      instance: z.string(),
      role: z.string().nullable(),
      transport: z.record(z.string(), z.unknown()),
      pid: z.number().nullable(),
      tools: z.array(z.string()),
      health: z.string(),
      breaker: z.string(),
      inFlight: z.number(),
      queued: z.number(),
      maxConcurrency: z.number(),
      restarts: z.number(),
      lastError: z.string().nullable(),
    }),
  ),
  queueDepth: z.number().int(),
});

export const UserList = z.object({ users: z.array(UserView) });
export const CreateUserBody = z.object({
  username: z
    .string()
    .min(2)
    .max(64)
    .regex(/^[A-Za-z0-9._@-]+$/, 'letters, digits and . _ @ - only'),
  role: UserRole,
  password: z.string().min(12, 'at least 12 characters').max(1000),
});
export const UpdateUserBody = z.object({
  role: UserRole.optional(),
  password: z.string().min(12, 'at least 12 characters').max(1000).optional(),
  disabled: z.boolean().optional(),
});
export const TokenView = z
  .object({
    id: z.string(),
    userId: z.string(),
    name: z.string(),
    createdAt: z.string(),
    lastUsedAt: z.string().nullable(),
    expiresAt: z.string().nullable(),
  })
  .meta({ id: 'ApiToken' });
export const TokenList = z.object({ tokens: z.array(TokenView) });
export const CreateTokenBody = z.object({
  name: z.string().trim().min(1).max(100),
  expiresInDays: z.number().int().min(1).max(3650).optional(),
});
export const CreatedToken = z.object({
  token: TokenView,
  /** Shown once; only its hash is stored. */
  secret: z.string(),
});

export const AuditList = z.object({ records: z.array(AuditRecord.meta({ id: 'AuditRecord' })) });
export const AuditQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(200) });

export const EventsQuery = z.object({
  run: Id,
  since: z.coerce.number().int().min(0).default(0),
  token: z.string().optional(),
});
export const EventMessage = RunEvent;

export const Ok = z.object({ ok: z.literal(true) });
export const Health = z.object({ status: z.literal('ok'), version: z.string() });
