import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  Kysely,
  type Kysely as KyselyDb,
  type Migration,
  type MigrationResultSet,
  Migrator,
  PostgresDialect,
  SqliteDialect,
  type Transaction,
} from 'kysely';
import type { Config } from './config.js';

/**
 * Tables are the generated service's (one per entity, see storage/store.ts), so the kit types them
 * loosely: every table is a record of columns. The generated repositories narrow rows to their types.
 */
export type Row = Record<string, unknown>;
export type Database = Record<string, Row>;
export type Db = KyselyDb<Database>;
export type Dialect = 'sqlite' | 'postgres';

export interface OpenDatabase {
  db: Db;
  dialect: Dialect;
  close(): Promise<void>;
}

/** Opens the database; each driver is loaded only when used (a SQLite service never loads pg). */
export async function openDatabase(database: Config['database']): Promise<OpenDatabase> {
  if (database.kind === 'postgres') {
    const { default: pg } = await import('pg');
    const pool = new pg.Pool({ connectionString: database.url, max: 10 });
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, dialect: 'postgres', close: () => db.destroy() };
  }
  if (database.file !== ':memory:') mkdirSync(dirname(database.file), { recursive: true });
  const { default: SQLite } = await import('better-sqlite3');
  const sqlite = new SQLite(database.file);
  // WAL lets readers run beside the writer; foreign keys are off in SQLite unless asked for.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  return { db, dialect: 'sqlite', close: () => db.destroy() };
}

export class MigrationError extends Error {
  readonly code = 'MIGRATION_FAILED';
  constructor(message: string, options?: { cause: unknown }) {
    super(message, options);
    this.name = 'MigrationError';
  }
}

/** Applies the migrations not yet applied, in name order; a failed one is rolled back and stops the start. */
export async function migrate(db: Db, migrations: Record<string, Migration>): Promise<string[]> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const { error, results }: MigrationResultSet = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new MigrationError(`migration ${failed} failed: ${String(error)}`, { cause: error });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

// PostgreSQL's answers for "run it again": serialization failure and deadlock.
const RETRYABLE = new Set(['40001', '40P01']);

/**
 * Runs `work` in one transaction. SQLite has one writer and Kysely's SQLite driver one connection, so
 * transactions already run one after another; PostgreSQL runs them SERIALIZABLE and retries the ones
 * it aborts, so checks like "at most N per member" hold under concurrent requests on both.
 */
export async function inTransaction<T>(
  open: Pick<OpenDatabase, 'db' | 'dialect'>,
  work: (trx: Transaction<Database>) => Promise<T>,
): Promise<T> {
  if (open.dialect === 'sqlite') return open.db.transaction().execute(work);
  for (let attempt = 1; ; attempt++) {
    try {
      return await open.db.transaction().setIsolationLevel('serializable').execute(work);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (attempt >= 20 || typeof code !== 'string' || !RETRYABLE.has(code)) throw err;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt));
    }
  }
}
