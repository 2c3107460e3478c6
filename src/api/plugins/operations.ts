import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { NotFoundError } from '../../contracts/errors.js';
import { ApiError } from '../errors.js';
import { type ApiContext, route } from '../route.js';

/**
 * Releases, deployments, monitoring series and alerts, as the orchestrator recorded them from the
 * deployment and monitoring engines (`orchestrator.operations`). Live numbers and rollbacks go
 * through the orchestrator to the engines; this plugin never calls an engine itself.
 */

const Loose = z.record(z.string(), z.unknown());
const RunQuery = z.object({ runId: z.string().min(1).optional() });
const Environment = z.enum(['staging', 'production']);
const EnvParams = z.object({ runId: z.string().min(1), environment: Environment });

const ReleaseEntry = z.object({
  runId: z.string().nullable(),
  project: z.string(),
  version: z.string(),
  previousVersion: z.string().nullable(),
  tag: z.string(),
  sha256: z.string(),
  notes: z.string(),
  requirementIds: z.array(z.string()),
  createdAt: z.string(),
});
const DeploymentEntry = z.object({
  id: z.string(),
  runId: z.string().nullable(),
  project: z.string(),
  environment: z.string(),
  url: z.string(),
  version: z.string(),
  status: z.string(),
  pid: z.number().nullable(),
  plugin: z.string(),
  updatedAt: z.string(),
  live: z.boolean().nullable().describe('measured now: does the URL answer /health with 200'),
});
const Sample = z.object({
  at: z.string(),
  requestRate: z.number().nullable(),
  errorRate: z.number().nullable(),
  p95Ms: z.number().nullable(),
  p50Ms: z.number().nullable(),
  healthy: z.boolean().nullable(),
});
const AlertEntry = z.object({
  id: z.string(),
  runId: z.string().nullable(),
  environment: z.string(),
  version: z.string().nullable(),
  rule: z.string(),
  severity: z.string(),
  state: z.string(),
  message: z.string(),
  value: z.number().nullable(),
  threshold: z.number().nullable(),
  firedAt: z.string(),
  resolvedAt: z.string().nullable(),
});
const MonitoringView = z.object({
  runId: z.string(),
  environment: z.string(),
  source: z.enum(['live', 'stored']),
  url: z.string().nullable(),
  version: z.string().nullable(),
  series: z.array(Sample),
  alerts: z.array(AlertEntry),
  actions: z.array(Loose),
  metrics: z.record(z.string(), z.number()),
});

export async function operationsPlugin(app: FastifyInstance, ctx: ApiContext) {
  const { orchestrator } = ctx.runtime;
  const { operations } = orchestrator;
  const records = ctx.runtime.store.operations;

  route(app, ctx, {
    method: 'GET',
    url: '/api/v1/releases',
    summary: 'Releases (version, tag, notes, digest), newest first',
    tags: ['releases'],
    access: 'deployments:read',
    query: RunQuery,
    response: z.object({ releases: z.array(ReleaseEntry) }),
    handler: async ({ query }) => ({
      releases: (await records.listReleases(query.runId)).map((r) => ({
        runId: r.runId,
        project: r.project,
        version: r.version,
        previousVersion: r.previousVersion,
        tag: r.tag,
        sha256: r.sha256,
        notes: r.notes,
        requirementIds: JSON.parse(r.requirementIds) as string[],
        createdAt: r.createdAt,
      })),
    }),
  });

  route(app, ctx, {
    method: 'GET',
    url: '/api/v1/deployments',
    summary: 'The current deployment of each environment, with a live health check of its URL',
    tags: ['deployments'],
    access: 'deployments:read',
    query: RunQuery,
    response: z.object({ deployments: z.array(DeploymentEntry) }),
    handler: async ({ query }) => ({
      deployments: await operations.deployments(query.runId === undefined ? {} : { runId: query.runId }),
    }),
  });

  route(app, ctx, {
    method: 'GET',
    url: '/api/v1/deployments/:runId/:environment/monitoring',
    summary: 'Monitoring series (request rate, error rate, latency), alerts and remediation log',
    description:
      'A fresh report from the monitoring engine when it answers (its samples are kept); otherwise the stored series. 501 when there is neither.',
    tags: ['monitoring'],
    access: 'deployments:read',
    params: EnvParams,
    response: MonitoringView,
    handler: async ({ params }) => {
      await orchestrator.getRun(params.runId);
      let result: Awaited<ReturnType<typeof operations.monitoring>>;
      try {
        result = await operations.monitoring(params.runId, params.environment);
      } catch (err) {
        if (err instanceof NotFoundError) throw err;
        throw new ApiError(
          'NOT_AVAILABLE',
          `monitoring data is not available for this deployment yet: ${(err as Error).message}`,
        );
      }
      const alerts = (await records.listAlerts({ runId: params.runId })).filter(
        (a) => a.environment === params.environment,
      );
      return {
        runId: params.runId,
        environment: params.environment,
        source: result.source,
        url: result.report?.url ?? null,
        version: result.report?.version ?? null,
        series: result.samples.map((s) => ({
          at: s.at,
          requestRate: s.requestRate,
          errorRate: s.errorRate,
          p95Ms: s.p95Ms,
          p50Ms: s.p50Ms,
          healthy: s.healthy === 1,
        })),
        alerts,
        actions: result.report?.actions ?? [],
        metrics: result.report?.metrics ?? {},
      };
    },
  });

  route(app, ctx, {
    method: 'GET',
    url: '/api/v1/alerts',
    summary: 'Alerts raised by the monitoring engine, newest first',
    tags: ['monitoring'],
    access: 'deployments:read',
    query: RunQuery,
    response: z.object({ alerts: z.array(AlertEntry) }),
    handler: async ({ query }) => ({
      alerts: await records.listAlerts(query.runId === undefined ? {} : { runId: query.runId }),
    }),
  });

  route(app, ctx, {
    method: 'POST',
    url: '/api/v1/deployments/:runId/:environment/rollback',
    summary: 'Roll a deployment back to the previous release',
    tags: ['deployments'],
    access: 'deployments:write',
    params: EnvParams,
    body: z.object({ reason: z.string().max(2_000).optional() }),
    response: z.object({ deployment: Loose }),
    handler: async ({ params, body, user }) => {
      await orchestrator.getRun(params.runId);
      const reason = body.reason ?? `rollback requested by ${user.username}`;
      const deployment = await operations.rollback(params.runId, params.environment, reason, user.username);
      return { deployment };
    },
  });
}
