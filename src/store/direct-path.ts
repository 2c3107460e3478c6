import type SqliteDatabase from 'better-sqlite3';
import {
  CamelCasePlugin,
  type DatabaseConnection,
  type Driver,
  Kysely,
  type QueryResult,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from 'kysely';
import { PowerAutoError } from '../contracts/errors.js';
import type { Database } from './schema.js';

type Db = Kysely<Database>;

/**
 * The store's hot path on SQLite, beside Kysely rather than through it. Measured per query, Kysely's
 * executor cost about 4 µs and 6 KB of garbage; per transaction, a new Kysely instance whose frozen
 * objects V8 keeps through young-generation collections, which made those collections about 1.3 ms.
 * The SQL is still Kysely's: prepared.ts compiles it once; this runs it.
 */
export interface DirectPath {
  /** True while a transaction is open on the connection. */
  readonly inTransaction: boolean;
  /** Whether `executor` is the handle of the transaction open now, so it may use the connection. */
  holds(executor: unknown): boolean;
  execute(sql: string, parameters: readonly unknown[]): QueryResult<unknown>;
  /**
   * Runs `body` in one transaction, under the same lock as Kysely's own queries. `body` gets a
   * Kysely handle bound to the locked connection; it is valid only until `body` settles.
   */
  transaction<T>(body: (tx: Db) => Promise<T>): Promise<T>;
}

const directPaths = new WeakMap<Db, DirectPath>();

/** The direct path of a database opened here, if its dialect has one (SQLite does). */
export function directPathOf(db: Db): DirectPath | undefined {
  return directPaths.get(db);
}

export function registerDirectPath(db: Db, path: DirectPath): void {
  directPaths.set(db, path);
}

/**
 * `driver` is the SQLite driver Kysely itself uses: taking its connection takes Kysely's lock, so
 * neither side ever runs a statement inside the other's transaction.
 */
export function sqliteDirectPath(sqlite: SqliteDatabase.Database, driver: () => Driver): DirectPath {
  const keysBySql = new Map<string, string[]>();
  let held: DatabaseConnection | undefined;
  const handle = new Kysely<Database>({
    dialect: {
      createAdapter: () => new SqliteAdapter(),
      createDriver: () => heldConnectionDriver(() => held),
      createIntrospector: (db) => new SqliteIntrospector(db),
      createQueryCompiler: () => new SqliteQueryCompiler(),
    },
    plugins: [new CamelCasePlugin()],
  });
  const run = (sql: string) => sqlite.prepare(sql).run();

  return {
    get inTransaction() {
      return sqlite.inTransaction;
    },
    holds: (executor) => held !== undefined && executor === handle,
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
    async transaction(body) {
      const connection = await driver().acquireConnection();
      held = connection;
      try {
        run('begin');
        try {
          const result = await body(handle);
          run('commit');
          return result;
        } catch (err) {
          if (sqlite.inTransaction) run('rollback');
          throw err;
        }
      } finally {
        held = undefined;
        await driver().releaseConnection(connection);
      }
    },
  };
}

/** A driver for the transaction handle: the connection its transaction holds, never another. */
function heldConnectionDriver(current: () => DatabaseConnection | undefined): Driver {
  const notHere = (what: string) => () => {
    throw new PowerAutoError('INTERNAL', `${what} on a transaction handle`);
  };
  return {
    init: async () => {},
    acquireConnection: async () => {
      const connection = current();
      if (connection === undefined)
        throw new PowerAutoError('INTERNAL', 'a transaction handle was used after its transaction ended');
      return connection;
    },
    releaseConnection: async () => {},
    beginTransaction: notHere('a nested transaction'),
    commitTransaction: notHere('commit'),
    rollbackTransaction: notHere('rollback'),
    destroy: async () => {},
  };
}

/** As CamelCasePlugin maps result columns: `workspace_path` → `workspacePath`. */
function camelCase(column: string): string {
  return column.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}
