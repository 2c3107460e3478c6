import type { Kysely } from 'kysely';

// Tables the orchestrator copies deployment and monitoring step outputs into (the engines keep
// their own state in files; these are the product's record, for the API and the AdminBoard).
// Shapes follow src/contracts/deployment.ts and src/contracts/monitoring.ts.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('releases')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('run_id', 'text', (c) => c.references('runs.id'))
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('previous_version', 'text')
    .addColumn('bump', 'text', (c) => c.notNull())
    .addColumn('tag', 'text', (c) => c.notNull())
    .addColumn('commit', 'text', (c) => c.notNull())
    .addColumn('artifact_path', 'text', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('notes', 'text', (c) => c.notNull())
    .addColumn('requirement_ids', 'text', (c) => c.notNull())
    .addColumn('files', 'text', (c) => c.notNull())
    .addColumn('metrics', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('releases_project_version')
    .on('releases')
    .columns(['project', 'version'])
    .execute();

  await db.schema
    .createTable('deployments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('run_id', 'text', (c) => c.references('runs.id'))
    .addColumn('step_key', 'text')
    .addColumn('idempotency_key', 'text')
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('environment', 'text', (c) => c.notNull())
    .addColumn('plugin', 'text', (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('previous_version', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('pid', 'integer')
    .addColumn('reason', 'text')
    .addColumn('smoke', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('metrics', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('deployments_run').on('deployments').column('run_id').execute();
  await db.schema
    .createIndex('deployments_environment')
    .on('deployments')
    .columns(['project', 'environment', 'created_at'])
    .execute();

  await db.schema
    .createTable('alerts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('run_id', 'text', (c) => c.references('runs.id'))
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('environment', 'text', (c) => c.notNull())
    .addColumn('version', 'text')
    .addColumn('rule', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('value', 'real')
    .addColumn('threshold', 'real')
    .addColumn('fired_at', 'text', (c) => c.notNull())
    .addColumn('resolved_at', 'text')
    .execute();
  await db.schema
    .createIndex('alerts_environment_state')
    .on('alerts')
    .columns(['project', 'environment', 'state'])
    .execute();

  // One row per MonitoringSample (src/contracts/monitoring.ts): the AdminBoard's time series.
  await db.schema
    .createTable('monitoring_samples')
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('environment', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text')
    .addColumn('version', 'text')
    .addColumn('healthy', 'integer', (c) => c.notNull())
    .addColumn('requests', 'real', (c) => c.notNull())
    .addColumn('errors', 'real', (c) => c.notNull())
    .addColumn('request_rate', 'real', (c) => c.notNull())
    .addColumn('error_rate', 'real')
    .addColumn('p50_ms', 'real')
    .addColumn('p95_ms', 'real')
    .addColumn('cpu_percent', 'real')
    .addColumn('memory_mb', 'real')
    .addPrimaryKeyConstraint('monitoring_samples_pk', ['project', 'environment', 'at'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['monitoring_samples', 'alerts', 'deployments', 'releases']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
