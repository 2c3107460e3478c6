import type { MonitoringReport } from '../../contracts/monitoring.js';
import { accumulate, routeStats, summarize } from './stats.js';
import { fromStoredBuckets, type MonitorFiles } from './store.js';

export interface ReportContext {
  project: string;
  environment: string;
  url: string;
  version: string | null;
  watching: boolean;
  /** Only samples, alerts and actions at or after this moment (ms since epoch). */
  since: number;
  until: number;
}

const round = (n: number, places = 4) => Math.round(n * 10 ** places) / 10 ** places;

function suggestions(report: Omit<MonitoringReport, 'suggestions'>): string[] {
  const out: string[] = [];
  const measured = report.routes.filter((r) => r.p95Ms !== null && r.requests > 0);
  for (const r of measured.slice(0, 3)) {
    out.push(
      `Slowest route: ${r.method} ${r.route} p95 ${r.p95Ms} ms, p50 ${r.p50Ms} ms over ${r.requests} requests.`,
    );
  }
  for (const r of report.routes.filter((x) => x.errors > 0).slice(0, 3)) {
    out.push(
      `${r.method} ${r.route} answered ${r.errors} server errors out of ${r.requests} (${round(r.errorRate * 100, 2)}%): check its log.`,
    );
  }
  const mem = report.series.map((s) => s.memoryMb).filter((m): m is number => m !== null);
  const first = mem[0];
  const last = mem.at(-1);
  if (first !== undefined && last !== undefined && last - first >= 10 && last >= first * 1.2) {
    out.push(
      `Memory grew from ${first} MB to ${last} MB over ${mem.length} samples: look for a leak (caches, listeners).`,
    );
  }
  const cpu = report.metrics.cpuPercent;
  if (cpu !== undefined && cpu >= 80)
    out.push(`CPU averaged ${cpu}%: scale out (HPA) or profile the hot route.`);
  const restarts = report.metrics.restarts ?? 0;
  if (restarts > 0)
    out.push(`The process was restarted ${restarts} time(s) after crashing: read its log for the cause.`);
  if ((report.metrics.requests ?? 0) === 0) {
    out.push('No requests were observed in the window: nothing could be measured (is the probe disabled?).');
  }
  return out;
}

/** A MonitoringReport over [since, until] from the watcher's files. */
export function buildReport(files: MonitorFiles, ctx: ReportContext): MonitoringReport {
  const inWindow = (iso: string) => {
    const t = Date.parse(iso);
    return t >= ctx.since && t <= ctx.until;
  };
  const samples = files.samples.filter((s) => inWindow(s.at));
  const routes = accumulate(
    samples.map((s) => s.routes.map((r) => ({ ...r, buckets: fromStoredBuckets(r.buckets) }))),
  );
  const summary = summarize(routes);
  const alerts = files.alerts.filter(
    (a) => inWindow(a.firedAt) || a.state === 'firing' || (a.resolvedAt !== null && inWindow(a.resolvedAt)),
  );
  const actions = files.actions.filter((a) => inWindow(a.at));
  const seconds = Math.max(0.001, (ctx.until - ctx.since) / 1000);
  const cpu = samples.map((s) => s.cpuPercent).filter((c): c is number => c !== null);
  const mem = samples.map((s) => s.memoryMb).filter((m): m is number => m !== null);
  const metrics: Record<string, number> = {
    requests: summary.requests,
    errors: summary.errors,
    requestRate: round(summary.requests / seconds, 2),
    samples: samples.length,
    alertsFiring: files.alerts.filter((a) => a.state === 'firing').length,
    alertsFired: files.alerts.filter((a) => inWindow(a.firedAt)).length,
    rollbacks: actions.filter((a) => a.type === 'rollback' && a.ok).length,
    restarts: actions.filter((a) => a.type === 'restart' && a.ok).length,
    notificationsFailed: files.notifications.filter((n) => inWindow(n.at) && !n.delivered).length,
    windowMs: ctx.until - ctx.since,
  };
  // Unmeasured numbers stay absent: a gate on them then fails instead of passing on a default.
  if (summary.errorRate !== null) metrics.errorRate = round(summary.errorRate, 6);
  if (summary.p95Ms !== null) metrics.p95LatencyMs = summary.p95Ms;
  if (summary.p50Ms !== null) metrics.p50LatencyMs = summary.p50Ms;
  if (samples.length > 0)
    metrics.uptimeRatio = round(samples.filter((s) => s.healthy).length / samples.length);
  if (cpu.length > 0) metrics.cpuPercent = round(cpu.reduce((a, b) => a + b, 0) / cpu.length, 1);
  if (mem.length > 0) metrics.memoryMb = Math.max(...mem);
  const rollback = actions.find((a) => a.type === 'rollback' && a.durationMs !== null);
  if (rollback?.durationMs != null) metrics.rollbackAfterMs = rollback.durationMs;

  const base = {
    project: ctx.project,
    environment: ctx.environment,
    url: ctx.url,
    version: ctx.version,
    watching: ctx.watching,
    window: { startedAt: new Date(ctx.since).toISOString(), endedAt: new Date(ctx.until).toISOString() },
    routes: routeStats(routes),
    alerts,
    actions,
    series: samples.map(({ routes: _routes, ...s }) => s),
    metrics,
  };
  return { ...base, suggestions: suggestions(base) };
}
