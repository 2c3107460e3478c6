import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openSqliteDb } from '../db.js';

describe('migration 0002-deployments', () => {
  it('creates releases, deployments, alerts and monitoring_samples', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pa-mig-'));
    const db = await openSqliteDb(join(dir, 'db.sqlite'));
    try {
      const rows = await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(
        db,
      );
      const names = rows.rows.map((r) => r.name);
      for (const table of ['releases', 'deployments', 'alerts', 'monitoring_samples'])
        expect(names).toContain(table);
      const cols = await sql<{ name: string }>`pragma table_info(monitoring_samples)`.execute(db);
      expect(cols.rows.map((c) => c.name)).toEqual(
        expect.arrayContaining(['error_rate', 'p95_ms', 'cpu_percent', 'memory_mb', 'healthy']),
      );
    } finally {
      await db.destroy();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
