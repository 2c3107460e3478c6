import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AutoGatesForbiddenError, ConflictError, NotFoundError } from '../../contracts/errors.js';
import { Project, Run, RunStatus } from '../../contracts/models.js';
import { autoGatesOf, can } from '../auth/rbac.js';
import { type ApiContext, route } from '../route.js';
import {
  CreateProjectBody,
  CreateRunBody,
  ProjectIdParams,
  ProjectList,
  RollbackBody,
  RunIdParams,
  RunList,
  RunListQuery,
  RunStatusView,
  RunViewResponse,
} from '../schemas.js';

/**
 * Carries a run on in the background: a request never waits for engines. A drive that fails is
 * already recorded on the run; the log line is for operators.
 */
export function carryOn(ctx: ApiContext, req: FastifyRequest, runId: string): void {
  ctx.runtime.orchestrator.drive(runId).catch((err: unknown) => {
    req.log.warn({ runId, err: err instanceof Error ? err.message : String(err) }, 'driving the run stopped');
  });
}

/** Projects and runs: create, list, view, cancel, resume, roll back. */
export async function runsPlugin(app: FastifyInstance, ctx: ApiContext) {
  const { orchestrator, store } = ctx.runtime;

  route(app, ctx, {
    method: 'GET',
    url: '/api/v1/projects',
    summary: 'List projects, newest first',
    tags: ['projects'],
    access: 'projects:read',
    response: ProjectList,
    handler: async () => ({ projects: await store.listProjects() }),
  });

  route(app, ctx, {
    method: 'POST',
    url: '/api/v1/projects',
    summary: 'Create an empty project (a run can also create its own)',
    tags: ['projects'],
    access: 'projects:write',
    body: CreateProjectBody,
    response: Project,
    status: 201,
    handler: async ({ body, user }) => orchestrator.createProject(body.name, user.username),
  });

  route(app, ctx, {
    method: 'GET',
    url: '/api/v1/projects/:projectId',
    summary: 'A project and its runs',
    tags: ['projects'],
    access: 'projects:read',
    params: ProjectIdParams,
    response: z.object({ project: Project, runs: z.array(Run) }),
    handler: async ({ params }) => {
      const project = await store.getProject(params.projectId);
      if (project === undefined) throw new NotFoundError('project', params.projectId);
      return { project, runs: await store.listRuns({ projectId: project.id }) };
    },
  });

  route(app, ctx, {
    method: 'GET',
    url: '/api/v1/runs',
    summary: 'List runs, newest first',
    tags: ['runs'],
    access: 'runs:read',
    query: RunListQuery,
    response: RunList,
    handler: async ({ query }) => {
      const statuses = query.status?.split(',').map((s) => RunStatus.parse(s.trim()));
      return {
        runs: await store.listRuns({
          ...(statuses === undefined ? {} : { statuses }),
          ...(query.projectId === undefined ? {} : { projectId: query.projectId }),
          limit: query.limit,
        }),
      };
    },
  });

  route(app, ctx, {
    method: 'POST',
    url: '/api/v1/runs',
    summary: 'Start a run from a requirement (English or Chinese); it proceeds in the background',
    description:
      'Returns 201 with the new run at once. Watch it with the WebSocket /api/v1/events?run=ID or poll /api/v1/runs/{runId}.',
    tags: ['runs'],
    access: 'runs:write',
    body: CreateRunBody,
    response: Run,
    status: 201,
    handler: async ({ body, user, req }) => {
      const auto = autoGatesOf(body.options.gatePolicies);
      if (auto.length > 0 && !can(user.role, 'gates:auto'))
        throw new AutoGatesForbiddenError(auto, user.role);
      const run = await orchestrator.startRun({
        requirement: body.requirement,
        template: body.template,
        ...(body.projectId === undefined ? {} : { projectId: body.projectId }),
        options: {
          ...(body.options.gatePolicies === undefined ? {} : { gatePolicies: body.options.gatePolicies }),
          ...(body.options.maxFixRounds === undefined ? {} : { maxFixRounds: body.options.maxFixRounds }),
        },
        actor: user.username,
      });
      carryOn(ctx, req, run.id);
      return run;
    },
  });

  route(app, ctx, {
    method: 'GET',
    url: '/api/v1/runs/:runId',
    summary: 'A run with its project, steps, attempts and approvals',
    tags: ['runs'],
    access: 'runs:read',
    params: RunIdParams,
    response: RunViewResponse,
    handler: async ({ params }) => orchestrator.getRunView(params.runId),
  });

  route(app, ctx, {
    method: 'GET',
    url: '/api/v1/runs/:runId/status',
    summary: 'The run status and each step status (cheap; for polling)',
    tags: ['runs'],
    access: 'runs:read',
    params: RunIdParams,
    response: RunStatusView,
    handler: async ({ params }) => {
      const [run, steps] = await Promise.all([
        orchestrator.getRun(params.runId),
        store.getSteps(params.runId),
      ]);
      return {
        id: run.id,
        status: run.status,
        error: run.error,
        updatedAt: run.updatedAt,
        steps: steps.map((s) => ({ key: s.key, status: s.status })),
      };
    },
  });

  route(app, ctx, {
    method: 'POST',
    url: '/api/v1/runs/:runId/cancel',
    summary: 'Cancel a run',
    tags: ['runs'],
    access: 'runs:write',
    params: RunIdParams,
    response: Run,
    handler: async ({ params, user }) => {
      await orchestrator.cancel(params.runId, user.username);
      return orchestrator.getRun(params.runId);
    },
  });

  route(app, ctx, {
    method: 'POST',
    url: '/api/v1/runs/:runId/resume',
    summary: 'Resume a stopped or failed run: failed steps get another attempt',
    tags: ['runs'],
    access: 'runs:write',
    params: RunIdParams,
    response: Run,
    status: 202,
    handler: async ({ params, user, req }) => {
      const run = await orchestrator.getRun(params.runId);
      if (run.status === 'cancelled')
        throw new ConflictError(`run ${run.id} was cancelled and cannot resume`);
      orchestrator.resume(run.id, user.username).catch((err: unknown) => {
        req.log.warn(
          { runId: run.id, err: err instanceof Error ? err.message : String(err) },
          'resume stopped',
        );
      });
      return run;
    },
  });

  route(app, ctx, {
    method: 'POST',
    url: '/api/v1/runs/:runId/rollback',
    summary: "Reset the workspace to a finished stage's commit and re-run what follows",
    tags: ['runs'],
    access: 'runs:write',
    params: RunIdParams,
    body: RollbackBody,
    response: Run,
    status: 202,
    handler: async ({ params, body, user, req }) => {
      await orchestrator.rollback(params.runId, body.to, user.username);
      carryOn(ctx, req, params.runId);
      return orchestrator.getRun(params.runId);
    },
  });
}
