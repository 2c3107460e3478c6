import type { FastifyInstance } from 'fastify';
import { Gauge, Histogram, Registry } from 'prom-client';
import { z } from 'zod';
import { RunStatus } from '../../contracts/models.js';
import { type ApiContext, guard } from '../route.js';

const STEP_DONE = new Set(['succeeded', 'failed', 'waiting_approval']);

/**
 * Prometheus `/metrics`: the orchestrator's own metrics (runs by state, step durations, queue depth)
 * merged with the coordinator's registry (engine call latency and counts). Scrapers authenticate with
 * an API token like any client.
 */
export async function metricsPlugin(app: FastifyInstance, ctx: ApiContext) {
  const { store, orchestrator, metrics } = ctx.runtime;
  const own = new Registry();
  new Gauge({
    name: 'powerauto_runs',
    help: 'Runs by state',
    labelNames: ['state'],
    registers: [own],
    async collect() {
      const rows = await store.db
        .selectFrom('runs')
        .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
        .groupBy('status')
        .execute();
      this.reset();
      for (const state of RunStatus.options) this.set({ state }, 0);
      for (const row of rows) this.set({ state: row.status }, Number(row.n));
    },
  });
  new Gauge({
    name: 'powerauto_queue_depth',
    help: 'Tool calls waiting for a scheduler slot',
    registers: [own],
    collect() {
      this.set(orchestrator.queueDepth);
    },
  });
  const stepDuration = new Histogram({
    name: 'powerauto_step_duration_seconds',
    help: 'Step attempt durations, from start to its outcome',
    labelNames: ['step', 'outcome'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900],
    registers: [own],
  });
  const unsubscribe = orchestrator.bus.subscribe(null, (event) => {
    if (event.type !== 'step.status') return;
    const payload = event.payload as { step: string; from: string; to: string };
    if (payload.from !== 'running' || !STEP_DONE.has(payload.to)) return;
    void store
      .getStep(event.runId, payload.step)
      .then((step) => {
        if (step?.startedAt == null) return;
        const seconds = (Date.parse(event.createdAt) - Date.parse(step.startedAt)) / 1000;
        if (seconds >= 0)
          stepDuration.observe(
            { step: payload.step.replace(/^fix-\d+$/, 'fix'), outcome: payload.to },
            seconds,
          );
      })
      .catch(() => {});
  });
  app.addHook('onClose', async () => unsubscribe());

  const merged = Registry.merge([own, metrics]);
  ctx.routes.add({
    method: 'GET',
    url: '/metrics',
    summary: 'Prometheus metrics (text exposition format)',
    tags: ['metrics'],
    access: 'metrics:read',
    response: z.string(),
    status: 200,
    kind: 'text',
  });
  app.get('/metrics', { onRequest: guard(ctx, 'metrics:read') }, async (_req, reply) => {
    reply.type(merged.contentType);
    return merged.metrics();
  });
}
