import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import pidusage from 'pidusage';
import { errorMessage } from '../../contracts/errors.js';
import type { Alert, RemediationAction } from '../../contracts/monitoring.js';
import type { AlertRule, MonitoringSettings, RuleMetric } from '../shared/monitoring-settings.js';
import { type NotificationRecord, Notifier } from './notify.js';
import { parsePrometheus } from './prometheus.js';
import { deltaOf, Ewma, type Snapshot, snapshotFrom, summarize } from './stats.js';
import { readMonitorFiles, type StoredSample, toStoredBuckets, writeMonitorFile } from './store.js';

const MAX_ALERTS = 500;
const MAX_ACTIONS = 500;
const MAX_NOTIFICATIONS = 500;
const PROBE_TIMEOUT_MS = 2_000;

export interface WatchTarget {
  version: string;
  pid: number | null;
  metricsUrl: string;
  /** When this release took the traffic (ms since epoch): the auto-rollback window starts there. */
  deployedAt: number;
}

/** A supervisor event the watcher turns into alerts and recorded actions. */
export interface WatchedEvent {
  type: string;
  version: string | null;
  detail: string;
  durationMs: number | null;
}

export interface WatcherOptions {
  dir: string;
  project: string;
  environment: string;
  settings: MonitoringSettings;
  extraRules: AlertRule[];
  smokePaths: string[];
  /** The stable URL: health and probes go through it, as users' requests do. */
  baseUrl: string;
  target(): WatchTarget | null;
  canRollback(): boolean;
  /** Absent where the watcher cannot act (an in-process watcher without a supervisor). */
  rollback?: (reason: string) => Promise<{ ok: boolean; detail: string }>;
}

interface Streak {
  breach: number;
  clear: number;
}

/** The rules every watch has: the gate thresholds, with automatic rollback. */
export function builtInRules(settings: MonitoringSettings): AlertRule[] {
  return [
    {
      name: 'error_rate',
      metric: 'errorRate',
      op: '>=',
      threshold: settings.errorRateThreshold,
      severity: 'critical',
      forSamples: 1,
      rollback: true,
    },
    {
      name: 'latency_p95',
      metric: 'p95Ms',
      op: '>',
      threshold: settings.p95LatencyMs,
      severity: 'critical',
      forSamples: 2,
      rollback: true,
    },
    {
      name: 'health',
      metric: 'unhealthy',
      op: '>=',
      threshold: 1,
      severity: 'critical',
      forSamples: 2,
      rollback: true,
    },
  ];
}

function compare(value: number, op: AlertRule['op'], threshold: number): boolean {
  switch (op) {
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '<':
      return value < threshold;
    default:
      return value <= threshold;
  }
}

/**
 * Polls a deployment: health and probe GETs through the stable URL, a Prometheus scrape of the
 * release, CPU and memory of its process. Each interval becomes a sample; rules (built-in, config,
 * NFR targets) and an EWMA baseline turn samples into alerts (firing -> resolved); critical rules
 * roll back within the window after a deploy; supervisor events (crash, restart) become alerts and
 * recorded actions. Everything is written to files in `dir` after each interval.
 */
export class Watcher {
  readonly #o: WatcherOptions;
  readonly #rules: AlertRule[];
  readonly #notifier: Notifier;
  readonly #streaks = new Map<string, Streak>();
  readonly #baselines = { p95Ms: new Ewma(0.2), memoryMb: new Ewma(0.2) };
  #samples: StoredSample[] = [];
  #alerts: Alert[] = [];
  #actions: RemediationAction[] = [];
  #notifications: NotificationRecord[] = [];
  #prev: { pid: number | null; version: string; snapshot: Snapshot } | null = null;
  #lastTick = Date.now();
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;
  #stopped = false;
  #breachStartedAt: number | null = null;
  readonly #rolledBack = new Set<string>();
  readonly #startedAt = new Date().toISOString();
  #loaded: Promise<void>;

  constructor(options: WatcherOptions) {
    this.#o = options;
    this.#rules = [...builtInRules(options.settings), ...options.settings.rules, ...options.extraRules];
    this.#baselines = {
      p95Ms: new Ewma(options.settings.anomaly.alpha),
      memoryMb: new Ewma(options.settings.anomaly.alpha),
    };
    this.#notifier = new Notifier(options.settings.webhooks, (record) => {
      this.#notifications.push(record);
      this.#notifications = this.#notifications.slice(-MAX_NOTIFICATIONS);
      this.#actions.push({
        at: record.at,
        type: 'notify',
        ok: record.delivered,
        detail: `${record.event} to ${record.url}: ${record.delivered ? 'delivered' : `failed (${record.lastError})`} after ${record.attempts} attempt(s)`,
        durationMs: record.durationMs,
      });
      void this.#persist();
    });
    mkdirSync(options.dir, { recursive: true });
    // Alerts and history survive a watcher restart; samples are re-read so the series continues.
    this.#loaded = readMonitorFiles(options.dir).then(
      (files) => {
        this.#samples = files.samples;
        this.#alerts = files.alerts;
        this.#actions = files.actions;
        this.#notifications = files.notifications;
      },
      () => undefined,
    );
  }

  get rules(): AlertRule[] {
    return this.#rules;
  }

  start(): void {
    const loop = async () => {
      if (this.#stopped) return;
      this.#running = this.tick().catch(() => undefined);
      await this.#running;
      if (!this.#stopped) this.#timer = setTimeout(loop, this.#o.settings.intervalMs);
    };
    void this.#loaded.then(async () => {
      await writeMonitorFile(this.#o.dir, 'watch', {
        project: this.#o.project,
        environment: this.#o.environment,
        pid: process.pid,
        startedAt: this.#startedAt,
        stoppedAt: null,
        intervalMs: this.#o.settings.intervalMs,
      });
      this.#lastTick = Date.now();
      this.#timer = setTimeout(loop, this.#o.settings.intervalMs);
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    await this.#running;
    await this.#notifier.close(2_000);
    pidusage.clear();
    await this.#persist();
    await writeMonitorFile(this.#o.dir, 'watch', {
      project: this.#o.project,
      environment: this.#o.environment,
      pid: process.pid,
      startedAt: this.#startedAt,
      stoppedAt: new Date().toISOString(),
      intervalMs: this.#o.settings.intervalMs,
    });
  }

  /** Called by the supervisor for each of its events. */
  recordEvent(event: WatchedEvent): void {
    if (this.#stopped) return;
    const now = new Date().toISOString();
    if (event.type === 'crashed') {
      this.#fire(
        'process_crashed',
        'critical',
        `${event.version ?? 'release'} crashed: ${event.detail}`,
        null,
        null,
        event.version,
      );
    } else if (event.type === 'restarted') {
      this.#actions.push({
        at: now,
        type: 'restart',
        ok: true,
        detail: `${event.version}: ${event.detail}`,
        durationMs: event.durationMs,
      });
      this.#resolve('process_crashed');
    } else if (event.type === 'gave_up') {
      this.#actions.push({
        at: now,
        type: 'restart',
        ok: false,
        detail: `${event.version}: ${event.detail}`,
        durationMs: null,
      });
    } else {
      return;
    }
    void this.#persist();
  }

  async tick(): Promise<void> {
    const now = Date.now();
    const intervalStart = this.#lastTick;
    const intervalSec = Math.max(0.001, (now - intervalStart) / 1000);
    this.#lastTick = now;
    const settings = this.#o.settings;
    const health = await this.#get('/health');
    if (settings.probe) for (const path of this.#o.smokePaths) await this.#get(path);
    const target = this.#o.target();
    let routes: ReturnType<typeof deltaOf> = [];
    let cpuPercent: number | null = null;
    let memoryMb: number | null = null;
    if (target !== null) {
      try {
        const res = await fetch(target.metricsUrl, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
        const snapshot = snapshotFrom(parsePrometheus(await res.text()));
        const same =
          this.#prev !== null && this.#prev.pid === target.pid && this.#prev.version === target.version;
        routes = deltaOf(same ? (this.#prev?.snapshot ?? null) : null, snapshot);
        this.#prev = { pid: target.pid, version: target.version, snapshot };
      } catch {
        this.#prev = null;
      }
      if (target.pid !== null) {
        try {
          const usage = await pidusage(target.pid);
          cpuPercent = Math.round(usage.cpu * 10) / 10;
          memoryMb = Math.round((usage.memory / 1024 / 1024) * 10) / 10;
        } catch {
          // the process is gone (a crash the supervisor handles)
        }
      }
    }
    const summary = summarize(routes);
    const sample: StoredSample = {
      at: new Date(now).toISOString(),
      version: target?.version ?? null,
      healthy: health === 200,
      requests: summary.requests,
      errors: summary.errors,
      requestRate: Math.round((summary.requests / intervalSec) * 100) / 100,
      errorRate: summary.errorRate,
      p50Ms: summary.p50Ms,
      p95Ms: summary.p95Ms,
      cpuPercent,
      memoryMb,
      routes: routes.map((r) => ({ ...r, buckets: toStoredBuckets(r.buckets) })),
    };
    this.#samples.push(sample);
    if (this.#samples.length > settings.sampleRetention)
      this.#samples.splice(0, this.#samples.length - settings.sampleRetention);

    // The first error happened somewhere in this interval: its start bounds "time since first error".
    if (summary.errors > 0 || health !== 200) this.#breachStartedAt ??= intervalStart;
    else if (!this.#alerts.some((a) => a.state === 'firing' && this.#isRollbackRule(a.rule)))
      this.#breachStartedAt = null;

    this.#evaluate(sample);
    this.#anomalies(sample);
    await this.#maybeRollback(target);
    await this.#persist();
  }

  async #get(path: string): Promise<number> {
    try {
      const res = await fetch(new URL(path, this.#o.baseUrl), {
        signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
      });
      await res.arrayBuffer().catch(() => undefined);
      return res.status;
    } catch {
      return 0;
    }
  }

  #metric(sample: StoredSample, metric: RuleMetric): number | null {
    switch (metric) {
      case 'errorRate':
        return sample.requests >= this.#o.settings.minRequests ? sample.errorRate : null;
      case 'unhealthy':
        return sample.healthy ? 0 : 1;
      default:
        return sample[metric];
    }
  }

  #evaluate(sample: StoredSample): void {
    for (const rule of this.#rules) {
      const value = this.#metric(sample, rule.metric);
      if (value === null) continue;
      const streak = this.#streaks.get(rule.name) ?? { breach: 0, clear: 0 };
      const breached = compare(value, rule.op, rule.threshold);
      streak.breach = breached ? streak.breach + 1 : 0;
      streak.clear = breached ? 0 : streak.clear + 1;
      this.#streaks.set(rule.name, streak);
      const firing = this.#alerts.find((a) => a.rule === rule.name && a.state === 'firing');
      if (breached && streak.breach >= rule.forSamples && firing === undefined) {
        this.#fire(
          rule.name,
          rule.severity,
          `${rule.metric} ${value} ${rule.op} ${rule.threshold} on ${sample.version ?? 'unknown'}`,
          value,
          rule.threshold,
          sample.version,
        );
      } else if (!breached && streak.clear >= rule.forSamples && firing !== undefined) {
        this.#resolve(rule.name);
      }
    }
  }

  #anomalies(sample: StoredSample): void {
    const a = this.#o.settings.anomaly;
    if (!a.enabled) return;
    const checks: { key: 'p95Ms' | 'memoryMb'; floor: number }[] = [
      { key: 'p95Ms', floor: a.latencyFloorMs },
      { key: 'memoryMb', floor: 50 },
    ];
    for (const { key, floor } of checks) {
      const value = sample[key];
      if (value === null) continue;
      const baseline = this.#baselines[key];
      const rule = `anomaly:${key}`;
      const anomalous = baseline.isAnomaly(value, a.k, floor, a.warmupSamples);
      const firing = this.#alerts.find((x) => x.rule === rule && x.state === 'firing');
      if (anomalous && firing === undefined) {
        this.#fire(
          rule,
          'warning',
          `${key} ${value} far above its baseline ${Math.round(baseline.mean * 10) / 10}`,
          value,
          Math.round(baseline.mean * 10) / 10,
          sample.version,
        );
      } else if (!anomalous && firing !== undefined) {
        this.#resolve(rule);
      }
      // The baseline learns only from normal samples, so a long incident does not become normal.
      if (!anomalous) baseline.update(value);
    }
  }

  #isRollbackRule(name: string): boolean {
    return this.#rules.some((r) => r.name === name && r.rollback);
  }

  async #maybeRollback(target: WatchTarget | null): Promise<void> {
    const s = this.#o.settings;
    if (!s.autoRollback || target === null || this.#o.rollback === undefined) return;
    const breaching = this.#alerts.filter(
      (a) => a.state === 'firing' && this.#isRollbackRule(a.rule) && a.version === target.version,
    );
    if (breaching.length === 0 || this.#rolledBack.has(target.version)) return;
    if (Date.now() - target.deployedAt > s.rollbackWindowMs || !this.#o.canRollback()) return;
    this.#rolledBack.add(target.version);
    const reason = breaching.map((a) => a.message).join('; ');
    const began = Date.now();
    let result: { ok: boolean; detail: string };
    try {
      result = await this.#o.rollback(reason);
    } catch (err) {
      result = { ok: false, detail: errorMessage(err) };
    }
    const from = this.#breachStartedAt ?? began;
    this.#actions.push({
      at: new Date().toISOString(),
      type: 'rollback',
      ok: result.ok,
      detail: `${target.version}: ${result.detail} (because ${reason})`,
      durationMs: Date.now() - from,
    });
    this.#actions = this.#actions.slice(-MAX_ACTIONS);
    this.#notifier.send('rollback', {
      project: this.#o.project,
      environment: this.#o.environment,
      version: target.version,
      ok: result.ok,
      detail: result.detail,
    });
    // Counters start again on the release now serving.
    this.#prev = null;
  }

  #fire(
    rule: string,
    severity: Alert['severity'],
    message: string,
    value: number | null,
    threshold: number | null,
    version: string | null,
  ): void {
    const alert: Alert = {
      id: randomUUID(),
      rule,
      severity,
      state: 'firing',
      message,
      environment: this.#o.environment,
      version,
      value,
      threshold,
      firedAt: new Date().toISOString(),
      resolvedAt: null,
    };
    this.#alerts.push(alert);
    if (this.#alerts.length > MAX_ALERTS) this.#alerts.splice(0, this.#alerts.length - MAX_ALERTS);
    this.#notifier.send('alert_firing', { project: this.#o.project, alert });
  }

  #resolve(rule: string): void {
    for (const alert of this.#alerts) {
      if (alert.rule !== rule || alert.state !== 'firing') continue;
      alert.state = 'resolved';
      alert.resolvedAt = new Date().toISOString();
      this.#notifier.send('alert_resolved', { project: this.#o.project, alert });
    }
  }

  #persisting: Promise<void> = Promise.resolve();
  #persist(): Promise<void> {
    const write = async () => {
      const dir = this.#o.dir;
      await writeMonitorFile(dir, 'samples', this.#samples);
      await writeMonitorFile(dir, 'alerts', this.#alerts);
      await writeMonitorFile(dir, 'actions', this.#actions);
      await writeMonitorFile(dir, 'notifications', this.#notifications);
    };
    this.#persisting = this.#persisting.then(write, write).catch(() => undefined);
    return this.#persisting;
  }
}
