import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { CamelCasePlugin, Kysely, Migrator, type QueryResult, SqliteDialect } from 'kysely';
import { PowerAutoError } from '../contracts/errors.js';
import { migrationProvider } from './migrations/index.js';
import type { Database } from './schema.js';
import { WalCheckpointer } from './wal-checkpointer.js';

export type Db = Kysely<Database>;

/**
 * Runs compiled SQL on the database's own connection, without Kysely's executor: each query through
 * it cost about 4 µs and 6 KB of garbage, a third of the orchestrator's allocations per step. Only
 * for the store's prepared statements (see prepared.ts); rows come back camelCased like the plugin's.
 */
export interface DirectPath {
  /** True while a transaction is open on the connection: only that transaction may use the path. */
  readonly inTransaction: boolean;
  execute(sql: string, parameters: readonly unknown[]): QueryResult<unknown>;
}

const directPaths = new WeakMap<Db, DirectPath>();

/** The direct path of a database opened here, if its dialect has one (SQLite does). */
export function directPathOf(db: Db): DirectPath | undefined {
  return directPaths.get(db);
}

/** `:memory:` gives an in-memory database (benchmarks and fast tests); anything else is a file. */
export async function openSqliteDb(path: string): Promise<Db> {
  let sqlite: SqliteDatabase.Database;
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    sqlite = new SqliteDatabase(path);
    // The only SQLite-specific settings: WAL for concurrent readers, NORMAL sync is durable under WAL
    // against process crashes (what SIGKILL tests), busy_timeout for a second process (CLI beside serve).
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 5000');
    sqlite.prepare('select count(*) from sqlite_master').get();
  } catch (err) {
    throw new PowerAutoError('HOME_UNUSABLE', `cannot open the database at ${path}: ${describe(err)}`, {
      cause: err,
    });
  }
  let checkpointer: WalCheckpointer | undefined;
  const cached = withStatementCache(sqlite, () => checkpointer?.stop());
  const db = new Kysely<Database>({
    dialect: new SqliteDialect({ database: cached }),
    plugins: [new CamelCasePlugin()],
  });
  directPaths.set(db, sqliteDirectPath(cached));
  await migrate(db);
  if (path !== ':memory:') {
    checkpointer = WalCheckpointer.start(path, () => {
      // Without the worker, SQLite's own checkpoints keep the WAL from growing.
      if (sqlite.open) sqlite.pragma('wal_autocheckpoint = 1000');
    });
    sqlite.pragma('wal_autocheckpoint = 0');
  }
  return db;
}

/**
 * Kysely's SQLite driver prepares every statement on every call; preparing was a third of the
 * orchestrator's CPU time. Statements are reusable, and Kysely never iterates two at once here.
 * Closing also stops the WAL checkpointer.
 */
function withStatementCache(sqlite: SqliteDatabase.Database, onClose: () => void): SqliteDatabase.Database {
  const cache = new Map<string, SqliteDatabase.Statement>();
  return new Proxy(sqlite, {
    get(target, property, receiver) {
      if (property === 'close') {
        return () => {
          onClose();
          return target.close();
        };
      }
      if (property !== 'prepare') return Reflect.get(target, property, receiver);
      return (sql: string) => {
        let statement = cache.get(sql);
        if (statement === undefined) {
          statement = target.prepare(sql);
          if (cache.size > 500) cache.clear();
          cache.set(sql, statement);
        }
        return statement;
      };
    },
  });
}

function sqliteDirectPath(sqlite: SqliteDatabase.Database): DirectPath {
  const keysBySql = new Map<string, string[]>();
  return {
    get inTransaction() {
      return sqlite.inTransaction;
    },
    execute(sql, parameters) {
      const statement = sqlite.prepare(sql);
      if (!statement.reader) {
        const { changes } = statement.run(parameters);
        return { rows: [], numAffectedRows: BigInt(changes) };
      }
      let keys = keysBySql.get(sql);
      if (keys === undefined) {
        keys = statement.columns().map((c) => camelCase(c.name));
        if (keysBySql.size > 500) keysBySql.clear();
        keysBySql.set(sql, keys);
      }
      const names = keys;
      let values: unknown[][];
      try {
        // Arrays, keyed once here: better-sqlite3's own row objects would be keyed snake_case first.
        values = statement.raw(true).all(parameters) as unknown[][];
      } finally {
        statement.raw(false);
      }
      const rows = values.map((row) => {
        const mapped: Record<string, unknown> = {};
        for (let i = 0; i < names.length; i++) mapped[names[i]!] = row[i];
        return mapped;
      });
      return { rows };
    },
  };
}

/** As CamelCasePlugin maps result columns: `workspace_path` → `workspacePath`. */
function camelCase(column: string): string {
  return column.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

export async function migrate(db: Db): Promise<void> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new PowerAutoError('HOME_UNUSABLE', `database migration ${failed} failed: ${describe(error)}`, {
      cause: error,
    });
  }
}

function describe(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message === 'file is not a database'
    ? 'the file is not a PowerAutomation database (corrupt?)'
    : message;
}
