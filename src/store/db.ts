import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { CamelCasePlugin, Kysely, Migrator, SqliteDialect } from 'kysely';
import { PowerAutoError } from '../contracts/errors.js';
import { migrationProvider } from './migrations/index.js';
import type { Database } from './schema.js';
import { WalCheckpointer } from './wal-checkpointer.js';

export type Db = Kysely<Database>;

declare const insideTransaction: unique symbol;
/** The handle `Store.transaction` gives its body; methods that change state take one. */
export type WriteTx = Db & { readonly [insideTransaction]: true };
/** Reads take the database or a transaction's handle. */
export type Tx = WriteTx | Db;

/** `:memory:` gives an in-memory database (benchmarks and fast tests); anything else is a file. */
export async function openSqliteDb(path: string): Promise<Db> {
  let sqlite: SqliteDatabase.Database;
  try {
    if (path !== ':memory:') {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      // Owner-only before SQLite opens it (its -wal/-shm files copy these bits): the file holds
      // password hashes, tokens and every run's artifacts.
      closeSync(openSync(path, 'a', 0o600));
      chmodSync(path, 0o600);
    }
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
