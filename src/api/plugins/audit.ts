import type { FastifyInstance } from 'fastify';
import type { Runtime } from '../../orchestrator/runtime.js';
import { type ApiContext, route } from '../route.js';
import { AuditList, AuditQuery } from '../schemas.js';

/** Writes one audit record for a change the API made itself (the orchestrator audits its own). */
export async function audit(
  runtime: Runtime,
  actor: string,
  action: string,
  target: string,
  detail: unknown,
): Promise<void> {
  await runtime.store.insertAudit(runtime.store.db, { actor, action, target, detail });
}

export async function auditPlugin(app: FastifyInstance, ctx: ApiContext) {
  route(app, ctx, {
    method: 'GET',
    url: '/api/v1/audit',
    summary: 'The audit log, newest first',
    tags: ['audit'],
    access: 'audit:read',
    query: AuditQuery,
    response: AuditList,
    handler: async ({ query }) => ({ records: await ctx.runtime.store.listAudit(query.limit) }),
  });
}
