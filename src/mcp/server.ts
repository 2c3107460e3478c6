import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { AutoGatesForbiddenError, PowerAutoError } from '../contracts/errors.js';
import { GateName, TemplateName } from '../contracts/models.js';
import { summarize } from '../orchestrator/run-summary.js';
import type { Runtime } from '../orchestrator/runtime.js';

/** The permissions the tools need, named as in the API's RBAC table. */
export type McpPermission = 'projects:write' | 'runs:read' | 'runs:write' | 'gates:decide' | 'gates:auto';

/** Who is calling: the local user on stdio (trusted like the CLI), a signed-in user over HTTP. */
export interface McpCaller {
  actor: string;
  /**
   * Asked on every tool call, not once at connect: a user demoted or disabled while their session is
   * open loses the permission at the next call.
   */
  check(permission: McpPermission): Promise<{ allowed: boolean; role: string }>;
}

export const LOCAL_CALLER: McpCaller = {
  actor: 'mcp',
  check: async () => ({ allowed: true, role: 'local' }),
};

const RunId = z.string().min(1).describe('run id, e.g. run_1a2b3c4d5e6f');
const Gate = z
  .string()
  .optional()
  .describe('gate name (requirements, architecture, code_review, release); default: the one waiting');

/**
 * The orchestrator as an MCP server, so an assistant (Claude Desktop, Cursor, Kilo Code) can drive
 * a whole product run. Runs advance in the background; `get_run` reports where they are.
 */
export function createOrchestratorMcpServer(runtime: Runtime, caller: McpCaller = LOCAL_CALLER): McpServer {
  const { orchestrator } = runtime;
  const actor = caller.actor;
  /** Refuses a tool the caller's role may not use, with the same words as the REST API. */
  const answer = async (permission: McpPermission, fn: () => Promise<object>) => {
    const { allowed, role } = await caller.check(permission);
    return allowed
      ? respond(fn)
      : failure('FORBIDDEN', `your role (${role}) may not do this: it needs the ${permission} permission`);
  };
  const server = new McpServer({ name: 'powerautomation', version: '0.1.0' });
  const advance = (runId: string) => {
    orchestrator.drive(runId).catch((err: unknown) => {
      process.stderr.write(`run ${runId}: ${err instanceof Error ? err.message : String(err)}\n`);
    });
  };

  server.registerTool(
    'create_project',
    {
      description: 'Create a project with its own git workspace.',
      inputSchema: { name: z.string().min(1).max(120) },
    },
    (args) =>
      answer('projects:write', async () => {
        const project = await orchestrator.createProject(args.name, actor);
        return { projectId: project.id, workspace: project.workspacePath };
      }),
  );

  server.registerTool(
    'start_run',
    {
      description:
        'Start a pipeline run for a requirement (English or Chinese). Returns at once; poll get_run.',
      inputSchema: {
        requirement: z.string().min(1),
        template: TemplateName.default('full'),
        projectId: z.string().optional(),
        autoApprove: z.boolean().default(false).describe('approve every gate automatically'),
        maxFixRounds: z.number().int().min(0).max(10).optional(),
      },
    },
    (args) =>
      answer('runs:write', async () => {
        if (args.autoApprove) {
          // The same rule as REST: skipping every review is an admin's call.
          const { allowed, role } = await caller.check('gates:auto');
          if (!allowed) throw new AutoGatesForbiddenError(GateName.options, role);
        }
        const gatePolicies = args.autoApprove
          ? Object.fromEntries(GateName.options.map((g) => [g, 'auto']))
          : {};
        const run = await orchestrator.startRun({
          requirement: args.requirement,
          template: args.template,
          actor,
          ...(args.projectId === undefined ? {} : { projectId: args.projectId }),
          options: {
            gatePolicies,
            ...(args.maxFixRounds === undefined ? {} : { maxFixRounds: args.maxFixRounds }),
          },
        });
        advance(run.id);
        return { runId: run.id, status: 'running' };
      }),
  );

  server.registerTool(
    'get_run',
    {
      description: 'A run with its steps, statuses, measured metrics and the gate it waits at.',
      inputSchema: { runId: RunId },
    },
    (args) => answer('runs:read', async () => summarize(await orchestrator.getRunView(args.runId))),
  );

  server.registerTool(
    'list_pending_approvals',
    {
      description: 'Gates waiting for a decision, with what they review.',
      inputSchema: { runId: RunId.optional() },
    },
    (args) =>
      answer('runs:read', async () => {
        const pending = await orchestrator.pendingApprovals(args.runId);
        return {
          pending: pending.map(({ run, step, artifact }) => {
            const content = (artifact?.content ?? {}) as { metrics?: unknown; openQuestions?: unknown };
            return {
              runId: run.id,
              gate: step.key.replace(/^gate:/, ''),
              step: step.key,
              note: step.error,
              reviews: artifact?.stepKey ?? null,
              metrics: content.metrics ?? null,
              openQuestions: content.openQuestions ?? [],
            };
          }),
        };
      }),
  );

  server.registerTool(
    'approve_gate',
    {
      description:
        'Approve the gate a run waits at (optionally with an edited artifact); the run carries on.',
      inputSchema: {
        runId: RunId,
        gate: Gate,
        comment: z.string().optional(),
        editedArtifact: z.record(z.string(), z.unknown()).optional(),
      },
    },
    (args) =>
      answer('gates:decide', async () => {
        const approval = await orchestrator.approve(args.runId, args.gate, {
          actor,
          ...(args.comment === undefined ? {} : { comment: args.comment }),
          ...(args.editedArtifact === undefined ? {} : { edited: args.editedArtifact }),
        });
        advance(args.runId);
        return { approvalId: approval.id, decision: approval.decision, step: approval.stepKey };
      }),
  );

  server.registerTool(
    'reject_gate',
    {
      description: 'Reject the gate with feedback: the reviewed stage re-runs with it.',
      inputSchema: { runId: RunId, gate: Gate, feedback: z.string().min(1) },
    },
    (args) =>
      answer('gates:decide', async () => {
        const approval = await orchestrator.reject(args.runId, args.gate, { actor, feedback: args.feedback });
        advance(args.runId);
        return { approvalId: approval.id, decision: approval.decision, step: approval.stepKey };
      }),
  );

  server.registerTool(
    'get_artifact',
    {
      description:
        "The latest version of a stage's artifact (requirements, architecture, test_plan, coding, testing, …).",
      inputSchema: { runId: RunId, stage: z.string().min(1) },
    },
    (args) =>
      answer('runs:read', async () => {
        const artifact = await orchestrator.getArtifact(args.runId, args.stage);
        return {
          stage: artifact.stepKey,
          version: artifact.version,
          kind: artifact.kind,
          content: artifact.content,
        };
      }),
  );

  server.registerTool(
    'rollback_run',
    {
      description: "Reset the workspace to a finished stage's commit and re-run what follows.",
      inputSchema: { runId: RunId, toStage: z.string().min(1) },
    },
    (args) =>
      answer('runs:write', async () => {
        await orchestrator.rollback(args.runId, args.toStage, actor);
        advance(args.runId);
        return { runId: args.runId, rolledBackTo: args.toStage };
      }),
  );

  return server;
}

/** Results as structured content; errors as tool errors with the message only, never a stack. */
async function respond(fn: () => Promise<object>): Promise<CallToolResult> {
  try {
    const result = (await fn()) as Record<string, unknown>;
    return { content: [{ type: 'text', text: JSON.stringify(result) }], structuredContent: result };
  } catch (err) {
    const code = err instanceof PowerAutoError ? err.code : 'INTERNAL';
    return failure(code, err instanceof Error ? err.message : String(err));
  }
}

function failure(code: string, message: string): CallToolResult {
  return { isError: true, content: [{ type: 'text', text: `${code}: ${message}` }] };
}
