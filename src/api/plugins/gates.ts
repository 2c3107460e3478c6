import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { NotFoundError } from '../../contracts/errors.js';
import { Approval, Artifact, Step, StepAttempt } from '../../contracts/models.js';
import { artifactDiff } from '../artifact-diff.js';
import { type ApiContext, route } from '../route.js';
import {
  ApproveBody,
  ArtifactDiff,
  ArtifactList,
  ArtifactVersionParams,
  DiffQuery,
  GateParams,
  PendingApprovals,
  RejectBody,
  RunIdParams,
  StepParams,
} from '../schemas.js';
import { carryOn } from './runs.js';

const PendingQuery = z.object({ runId: z.string().min(1).optional() });

/** Steps, gates (approve, reject with feedback, edit and approve) and artifacts with their versions. */
export async function gatesPlugin(app: FastifyInstance, ctx: ApiContext) {
  const { orchestrator, store } = ctx.runtime;

  route(app, ctx, {
    method: 'GET',
    url: '/api/v1/runs/:runId/steps',
    summary: "A run's steps and every attempt",
    tags: ['steps'],
    access: 'runs:read',
    params: RunIdParams,
    response: z.object({ steps: z.array(Step), attempts: z.array(StepAttempt) }),
    handler: async ({ params }) => {
      const view = await orchestrator.getRunView(params.runId);
      return { steps: view.steps, attempts: view.attempts };
    },
  });

  route(app, ctx, {
    method: 'GET',
    url: '/api/v1/approvals',
    summary: 'Gates waiting for a decision, with the artifact under review',
    tags: ['gates'],
    access: 'runs:read',
    query: PendingQuery,
    response: PendingApprovals,
    handler: async ({ query }) => ({
      pending: (await orchestrator.pendingApprovals(query.runId)).map(({ run, step, artifact }) => ({
        runId: run.id,
        gate: step.key.replace(/^gate:/, ''),
        step,
        artifact: artifact ?? null,
      })),
    }),
  });

  route(app, ctx, {
    method: 'POST',
    url: '/api/v1/runs/:runId/gates/:gate/approve',
    summary: 'Approve a gate; with `edited`, approve a corrected artifact (validated against its contract)',
    tags: ['gates'],
    access: 'gates:decide',
    params: GateParams,
    body: ApproveBody,
    response: Approval,
    handler: async ({ params, body, user, req }) => {
      const approval = await orchestrator.approve(params.runId, params.gate, {
        actor: user.username,
        ...(body.comment === undefined ? {} : { comment: body.comment }),
        ...(body.edited === undefined ? {} : { edited: body.edited }),
      });
      carryOn(ctx, req, params.runId);
      return approval;
    },
  });

  route(app, ctx, {
    method: 'POST',
    url: '/api/v1/runs/:runId/gates/:gate/reject',
    summary: 'Reject a gate with feedback: the reviewed stage re-runs with it',
    tags: ['gates'],
    access: 'gates:decide',
    params: GateParams,
    body: RejectBody,
    response: Approval,
    handler: async ({ params, body, user, req }) => {
      const approval = await orchestrator.reject(params.runId, params.gate, {
        actor: user.username,
        feedback: body.feedback,
      });
      carryOn(ctx, req, params.runId);
      return approval;
    },
  });

  route(app, ctx, {
    method: 'GET',
    url: '/api/v1/runs/:runId/artifacts',
    summary: 'Every artifact version of a run',
    tags: ['artifacts'],
    access: 'runs:read',
    params: RunIdParams,
    response: ArtifactList,
    handler: async ({ params }) => {
      await orchestrator.getRun(params.runId);
      return { artifacts: await store.listArtifacts(params.runId) };
    },
  });

  route(app, ctx, {
    method: 'GET',
    url: '/api/v1/runs/:runId/artifacts/:stepKey',
    summary: 'The current artifact of a step (the version its step points at)',
    tags: ['artifacts'],
    access: 'runs:read',
    params: StepParams,
    response: Artifact,
    handler: async ({ params }) => orchestrator.getArtifact(params.runId, params.stepKey),
  });

  const versionOf = async (runId: string, stepKey: string, version: number) => {
    const found = (await store.listArtifacts(runId)).find(
      (a) => a.stepKey === stepKey && a.version === version,
    );
    if (found === undefined) throw new NotFoundError('artifact version', `${runId}/${stepKey}@${version}`);
    return found;
  };

  route(app, ctx, {
    method: 'GET',
    url: '/api/v1/runs/:runId/artifacts/:stepKey/versions/:version',
    summary: 'One version of a step artifact',
    tags: ['artifacts'],
    access: 'runs:read',
    params: ArtifactVersionParams,
    response: Artifact,
    handler: async ({ params }) => versionOf(params.runId, params.stepKey, params.version),
  });

  route(app, ctx, {
    method: 'GET',
    url: '/api/v1/runs/:runId/artifacts/:stepKey/diff',
    summary: 'Unified diff between two versions of a step artifact',
    tags: ['artifacts'],
    access: 'runs:read',
    params: StepParams,
    query: DiffQuery,
    response: ArtifactDiff,
    handler: async ({ params, query }) => {
      const [a, b] = await Promise.all([
        versionOf(params.runId, params.stepKey, query.from),
        versionOf(params.runId, params.stepKey, query.to),
      ]);
      const left = `${JSON.stringify(a.content, null, 2)}\n`;
      const right = `${JSON.stringify(b.content, null, 2)}\n`;
      return {
        stepKey: params.stepKey,
        from: a.version,
        to: b.version,
        ...artifactDiff(`${params.stepKey}@v${a.version}`, `${params.stepKey}@v${b.version}`, left, right),
      };
    },
  });
}
