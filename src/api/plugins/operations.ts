import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { z } from 'zod';
import { NotFoundError, PowerAutoError } from '../../contracts/errors.js';
import type { Artifact } from '../../contracts/models.js';
import { ApiError } from '../errors.js';
import { type ApiContext, route } from '../route.js';
import { audit } from './audit.js';

/**
 * Releases, deployments, monitoring series and alerts. The deployment and monitoring engines write
 * their results as step artifacts (release, deploy_*, verify_staging, monitoring), which are read
 * here; when the store has the operational tables (releases, deployments, alerts, monitoring
 * samples) their rows are returned too. Live numbers come from the monitoring engine through the
 * coordinator. Whatever is not there yet is answered with 501 and says so.
 */

const Loose = z.record(z.string(), z.unknown());
const RunQuery = z.object({ runId: z.string().min(1).optional() });
const EnvParams = z.object({ runId: z.string().min(1), environment: z.enum(['staging', 'production']) });

const ReleaseEntry = z.object({
  runId: z.string(),
  artifactId: z.string(),
  artifactVersion: z.number().int(),
  createdAt: z.string(),
  release: Loose,
});
const DeploymentEntry = z.object({
  runId: z.string(),
  stepKey: z.string(),
  environment: z.string(),
  url: z.string().nullable(),
  version: z.string().nullable(),
  status: z.string().nullable(),
  createdAt: z.string(),
  deployment: Loose,
});
const Sample = z.object({
  at: z.string(),
  requestRate: z.number().nullable(),
  errorRate: z.number().nullable(),
  p95Ms: z.number().nullable(),
  p50Ms: z.number().nullable(),
  healthy: z.boolean().nullable(),
});
const MonitoringView = z.object({
  runId: z.string(),
  environment: z.string(),
  source: z.enum(['live', 'artifact', 'table']),
  url: z.string().nullable(),
  version: z.string().nullable(),
  series: z.array(Sample),
  alerts: z.array(Loose),
  actions: z.array(Loose),
  metrics: z.record(z.string(), z.number()),
});

const DEPLOY_STEPS: Record<string, string> = {
  deploy_staging: 'staging',
  verify_staging: 'staging',
  deploy_production: 'production',
};

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function toSample(value: unknown): z.infer<typeof Sample> | null {
  const s = asRecord(value);
  const at = str(s.at) ?? str(s.createdAt) ?? str(s.sampledAt);
  if (at === null) return null;
  return {
    at,
    requestRate: num(s.requestRate),
    errorRate: num(s.errorRate),
    p95Ms: num(s.p95Ms),
    p50Ms: num(s.p50Ms),
    healthy:
      typeof s.healthy === 'boolean' ? s.healthy : typeof s.healthy === 'number' ? s.healthy === 1 : null,
  };
}

/** Table names the store has now (migrations for these land separately). */
async function tables(ctx: ApiContext): Promise<Set<string>> {
  const list = await ctx.runtime.store.db.introspection.getTables();
  return new Set(list.map((t) => t.name));
}

/** Rows of an operational table, newest last, JSON text columns parsed. Unknown shape: kept loose. */
async function tableRows(ctx: ApiContext, name: string, limit = 2_000): Promise<Record<string, unknown>[]> {
  const result = await sql<Record<string, unknown>>`select * from ${sql.table(name)} limit ${limit}`.execute(
    ctx.runtime.store.db,
  );
  return result.rows.map((row) => {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(row)) {
      const camel = key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
      out[camel] = typeof value === 'string' && /^[[{]/.test(value) ? safeJson(value) : value;
    }
    return out;
  });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

async function artifactsOf(ctx: ApiContext, runId: string | undefined): Promise<Artifact[]> {
  const { store } = ctx.runtime;
  const runs =
    runId === undefined
      ? await store.listRuns({ limit: 200 })
      : [await ctx.runtime.orchestrator.getRun(runId)];
  const all: Artifact[] = [];
  for (const run of runs) all.push(...(await store.listArtifacts(run.id)));
  return all;
}

export async function operationsPlugin(app: FastifyInstance, ctx: ApiContext) {
  const { coordinator, orchestrator } = ctx.runtime;

  route(app, ctx, {
    method: 'GET',
    url: '/api/v1/releases',
    summary: 'Releases (notes, version, tag), newest first',
    tags: ['releases'],
    access: 'deployments:read',
    query: RunQuery,
    response: z.object({ releases: z.array(ReleaseEntry), table: z.array(Loose).nullable() }),
    handler: async ({ query }) => {
      const releases = (await artifactsOf(ctx, query.runId))
        .filter((a) => a.stepKey === 'release')
        .map((a) => ({
          runId: a.runId,
          artifactId: a.id,
          artifactVersion: a.version,
          createdAt: a.createdAt,
          release: asRecord(a.content),
        }))
        .reverse();
      const table = (await tables(ctx)).has('releases') ? await tableRows(ctx, 'releases') : null;
      return {
        releases,
        table: table?.filter((r) => query.runId === undefined || r.runId === query.runId) ?? null,
      };
    },
  });

  route(app, ctx, {
    method: 'GET',
    url: '/api/v1/deployments',
    summary: 'Deployments per run and environment, with their URLs and status',
    tags: ['deployments'],
    access: 'deployments:read',
    query: RunQuery,
    response: z.object({ deployments: z.array(DeploymentEntry), table: z.array(Loose).nullable() }),
    handler: async ({ query }) => {
      const latest = new Map<string, z.infer<typeof DeploymentEntry>>();
      for (const a of await artifactsOf(ctx, query.runId)) {
        const environment = DEPLOY_STEPS[a.stepKey];
        if (environment === undefined) continue;
        const d = asRecord(a.content);
        // verify_staging re-reports the staging deployment with its smoke results: the later wins.
        latest.set(`${a.runId}/${environment}`, {
          runId: a.runId,
          stepKey: a.stepKey,
          environment,
          url: str(d.url),
          version: str(d.version),
          status: str(d.status),
          createdAt: a.createdAt,
          deployment: d,
        });
      }
      const table = (await tables(ctx)).has('deployments') ? await tableRows(ctx, 'deployments') : null;
      return {
        deployments: [...latest.values()].reverse(),
        table: table?.filter((r) => query.runId === undefined || r.runId === query.runId) ?? null,
      };
    },
  });

  route(app, ctx, {
    method: 'GET',
    url: '/api/v1/deployments/:runId/:environment/monitoring',
    summary: 'Monitoring series (request rate, error rate, latency), alerts and remediation log',
    description:
      'Live from the monitoring engine (monitor_report) when it answers; else the series recorded in the run’s monitoring artifact; 501 when neither exists yet.',
    tags: ['monitoring'],
    access: 'deployments:read',
    params: EnvParams,
    response: MonitoringView,
    handler: async ({ params }) => {
      await orchestrator.getRun(params.runId);
      const artifacts = await ctx.runtime.store.listArtifacts(params.runId);
      const deployStep = params.environment === 'production' ? 'deploy_production' : 'deploy_staging';
      const deployment = asRecord(artifacts.filter((a) => a.stepKey === deployStep).at(-1)?.content);
      if (Object.keys(deployment).length === 0)
        throw new NotFoundError('deployment', `${params.runId}/${params.environment}`);
      const fromReport = (report: Record<string, unknown>, source: 'live' | 'artifact') => ({
        runId: params.runId,
        environment: params.environment,
        source,
        url: str(report.url) ?? str(deployment.url),
        version: str(report.version) ?? str(deployment.version),
        series: (Array.isArray(report.series) ? report.series : []).map(toSample).filter((s) => s !== null),
        alerts: (Array.isArray(report.alerts) ? report.alerts : []).map(asRecord),
        actions: (Array.isArray(report.actions) ? report.actions : []).map(asRecord),
        metrics: Object.fromEntries(
          Object.entries(asRecord(report.metrics)).filter(
            (e): e is [string, number] => typeof e[1] === 'number',
          ),
        ),
      });
      try {
        const live = await coordinator.callTool(
          {
            role: 'monitoring',
            tool: 'monitor_report',
            input: {
              environment: params.environment,
              ...(str(deployment.project) ? { project: deployment.project } : {}),
            },
            runId: params.runId,
            stepKey: 'api:monitor_report',
            attempt: 1,
            idempotencyKey: `${params.runId}:api:monitor_report:${randomUUID()}`,
          },
          { signal: AbortSignal.timeout(10_000) },
        );
        return fromReport(live, 'live');
      } catch (err) {
        if ((await tables(ctx)).has('monitoring_samples')) {
          const rows = await sql<
            Record<string, unknown>
          >`select * from monitoring_samples where run_id = ${params.runId} and environment = ${params.environment} order by at desc limit 720`.execute(
            ctx.runtime.store.db,
          );
          if (rows.rows.length > 0) {
            const series = rows.rows.reverse();
            return { ...fromReport({ series }, 'artifact'), source: 'table' as const };
          }
        }
        const monitoring =
          params.environment === 'production'
            ? artifacts.filter((a) => a.stepKey === 'monitoring').at(-1)
            : undefined;
        if (monitoring !== undefined) return fromReport(asRecord(monitoring.content), 'artifact');
        const why = err instanceof PowerAutoError ? err.message : 'the monitoring engine did not answer';
        throw new ApiError(
          'NOT_AVAILABLE',
          `monitoring data is not available yet for this deployment: ${why}`,
        );
      }
    },
  });

  route(app, ctx, {
    method: 'GET',
    url: '/api/v1/alerts',
    summary: 'Alerts raised by the monitoring engine',
    tags: ['monitoring'],
    access: 'deployments:read',
    query: RunQuery,
    response: z.object({ alerts: z.array(Loose), source: z.enum(['table', 'artifacts']) }),
    handler: async ({ query }) => {
      if ((await tables(ctx)).has('alerts')) {
        const rows = await tableRows(ctx, 'alerts');
        return {
          alerts: rows.filter((r) => query.runId === undefined || r.runId === query.runId),
          source: 'table' as const,
        };
      }
      const alerts = (await artifactsOf(ctx, query.runId))
        .filter((a) => a.stepKey === 'monitoring')
        .flatMap((a) => {
          const list = asRecord(a.content).alerts;
          return (Array.isArray(list) ? list : []).map((alert) => ({ ...asRecord(alert), runId: a.runId }));
        });
      return { alerts, source: 'artifacts' as const };
    },
  });

  route(app, ctx, {
    method: 'POST',
    url: '/api/v1/deployments/:runId/:environment/rollback',
    summary: 'Roll a deployment back to the previous release (deployment engine deploy_rollback)',
    tags: ['deployments'],
    access: 'deployments:write',
    params: EnvParams,
    body: z.object({ reason: z.string().max(2_000).optional() }),
    response: z.object({ deployment: Loose }),
    handler: async ({ params, body, user }) => {
      await orchestrator.getRun(params.runId);
      const artifacts = await ctx.runtime.store.listArtifacts(params.runId);
      const deployStep = params.environment === 'production' ? 'deploy_production' : 'deploy_staging';
      const deployment = asRecord(artifacts.filter((a) => a.stepKey === deployStep).at(-1)?.content);
      if (Object.keys(deployment).length === 0)
        throw new NotFoundError('deployment', `${params.runId}/${params.environment}`);
      const reason = body.reason ?? `rollback requested by ${user.username}`;
      await audit(
        ctx.runtime,
        user.username,
        'deployment.rollback',
        `${params.runId}/${params.environment}`,
        { reason },
      );
      const result = await coordinator.callTool(
        {
          role: 'deployment',
          tool: 'deploy_rollback',
          input: {
            environment: params.environment,
            reason,
            ...(str(deployment.project) ? { project: deployment.project } : {}),
          },
          runId: params.runId,
          stepKey: `api:rollback:${params.environment}`,
          attempt: 1,
          idempotencyKey: `${params.runId}:api:rollback:${randomUUID()}`,
        },
        { signal: AbortSignal.timeout(120_000) },
      );
      return { deployment: result };
    },
  });

  route(app, ctx, {
    method: 'GET',
    url: '/api/v1/monitoring/tables',
    summary: 'Which operational tables the store has (releases, deployments, alerts, samples)',
    tags: ['monitoring'],
    access: 'deployments:read',
    response: z.object({ tables: z.record(z.string(), z.boolean()) }),
    handler: async () => {
      const have = await tables(ctx);
      const names = ['releases', 'deployments', 'alerts', 'monitoring_samples'];
      return { tables: Object.fromEntries(names.map((n) => [n, have.has(n)])) };
    },
  });
}
