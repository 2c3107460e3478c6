import { join } from 'node:path';
import { z } from 'zod';
import { Alert, MonitoringSample, RemediationAction } from '../../contracts/monitoring.js';
import { readJson, writeJsonAtomic } from '../shared/files.js';
import { NotificationRecord } from './notify.js';

// The watcher's files in `<env dir>/monitor/`: what `monitor_report` reads back, through these schemas.

const Bucket = z.object({ le: z.number().nullable(), count: z.number() });
export const StoredRoute = z.object({
  method: z.string(),
  route: z.string(),
  requests: z.number(),
  errors: z.number(),
  // JSON has no Infinity: +Inf bounds are stored as null.
  buckets: z.array(Bucket),
});
export const StoredSample = MonitoringSample.extend({ routes: z.array(StoredRoute) });
export type StoredSample = z.infer<typeof StoredSample>;

export const WatchInfo = z.object({
  project: z.string(),
  environment: z.string(),
  pid: z.number().int(),
  startedAt: z.string(),
  stoppedAt: z.string().nullable(),
  intervalMs: z.number(),
});
export type WatchInfo = z.infer<typeof WatchInfo>;

export interface MonitorFiles {
  samples: StoredSample[];
  alerts: Alert[];
  actions: RemediationAction[];
  notifications: NotificationRecord[];
  watch: WatchInfo | undefined;
}

const file = (dir: string, name: string) => join(dir, `${name}.json`);

export async function readMonitorFiles(dir: string): Promise<MonitorFiles> {
  return {
    samples: (await readJson(file(dir, 'samples'), z.array(StoredSample))) ?? [],
    alerts: (await readJson(file(dir, 'alerts'), z.array(Alert))) ?? [],
    actions: (await readJson(file(dir, 'actions'), z.array(RemediationAction))) ?? [],
    notifications: (await readJson(file(dir, 'notifications'), z.array(NotificationRecord))) ?? [],
    watch: await readJson(file(dir, 'watch'), WatchInfo),
  };
}

export async function writeMonitorFile(dir: string, name: keyof MonitorFiles, value: unknown): Promise<void> {
  await writeJsonAtomic(file(dir, name), value);
}

export function toStoredBuckets(
  buckets: { le: number; count: number }[],
): { le: number | null; count: number }[] {
  return buckets.map((b) => ({ le: Number.isFinite(b.le) ? b.le : null, count: b.count }));
}

export function fromStoredBuckets(
  buckets: { le: number | null; count: number }[],
): { le: number; count: number }[] {
  return buckets.map((b) => ({ le: b.le ?? Number.POSITIVE_INFINITY, count: b.count }));
}
