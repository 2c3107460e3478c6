import type { FastifyInstance } from 'fastify';
import { type ApiContext, route } from '../route.js';
import { EngineList } from '../schemas.js';

/** Engine instances with health and circuit-breaker state, as the coordinator sees them. */
export async function enginesPlugin(app: FastifyInstance, ctx: ApiContext) {
  route(app, ctx, {
    method: 'GET',
    url: '/api/v1/engines',
    summary: 'Engines: health, breaker state, load',
    tags: ['engines'],
    access: 'engines:read',
    response: EngineList,
    handler: async () => ({
      engines: ctx.runtime.coordinator.describe().map((d) => ({ ...d, transport: { ...d.transport } })),
      queueDepth: ctx.runtime.orchestrator.queueDepth,
    }),
  });
}
