import type { Compilable, CompiledQuery, QueryResult } from 'kysely';
import { PowerAutoError } from '../contracts/errors.js';
import type { Db } from './db.js';
import { type DirectPath, directPathOf } from './direct-path.js';
import type { Tx } from './store.js';

/** Stands in for a named value while a query is compiled; a NUL byte keeps it apart from real data. */
const SLOT_PREFIX = '\u0000slot:';

/** Names a value the query takes on each run. Typed as the column's type so the builder accepts it. */
export type Slot = <T = string>(name: string) => T;

const slot: Slot = <T>(name: string) =>
  // A marker string in the place of a value; compile() turns it into a bound parameter.
  `${SLOT_PREFIX}${name}` as unknown as T;

/** A query Kysely compiled once for this database's dialect, run again with new values. */
export class PreparedQuery<R> {
  readonly #compiled: CompiledQuery<R>;
  readonly #direct: DirectPath | undefined;
  /** Per bound parameter: the slot name to read, or a constant the builder was given. */
  readonly #sources: ({ slot: string } | { value: unknown })[];

  constructor(compiled: CompiledQuery<R>, direct: DirectPath | undefined) {
    this.#compiled = compiled;
    this.#direct = direct;
    this.#sources = compiled.parameters.map((p) =>
      typeof p === 'string' && p.startsWith(SLOT_PREFIX)
        ? { slot: p.slice(SLOT_PREFIX.length) }
        : { value: p },
    );
  }

  /**
   * `sources` give the slots' values; a later source wins. Several sources instead of one merged
   * object because V8 (Node 20) keeps objects built as `{ ...a, b }` alive through young-generation
   * collections, which made each of those collections about 1 ms longer on the orchestrator's path.
   */
  execute(executor: Tx, ...sources: object[]): Promise<QueryResult<R>> {
    const parameters: unknown[] = [];
    for (const source of this.#sources) {
      if ('value' in source) {
        parameters.push(source.value);
        continue;
      }
      let value: unknown;
      for (let i = sources.length - 1; i >= 0 && value === undefined; i--)
        value = (sources[i] as Record<string, unknown>)[source.slot];
      if (value === undefined)
        throw new PowerAutoError('INTERNAL', `prepared query: no value for ${source.slot}`);
      parameters.push(value);
    }
    // The direct path may run inside the caller's own transaction, or when no transaction is open;
    // otherwise Kysely's executor waits for the connection.
    const direct = this.#direct;
    const { sql, query, queryId } = this.#compiled;
    if (direct !== undefined && (direct.holds(executor) || !direct.inTransaction)) {
      return Promise.resolve(direct.execute(sql, parameters) as QueryResult<R>);
    }
    return executor.executeQuery({ sql, parameters, query, queryId });
  }
}

/**
 * The store's hot statements, each built and compiled by Kysely once. Building and compiling cost as
 * much CPU as SQLite's own work on the orchestrator's hot path (about 10 µs a query). The SQL comes
 * from the same builder and dialect as everywhere else, so it stays as portable.
 */
export class PreparedQueries {
  readonly #db: Db;
  readonly #direct: DirectPath | undefined;
  readonly #cache = new Map<string, PreparedQuery<unknown>>();

  constructor(db: Db) {
    this.#db = db;
    this.#direct = directPathOf(db);
  }

  /** `shape` names the query and everything that changes its SQL, such as the columns it sets. */
  get<R>(shape: string, build: (db: Db, slot: Slot) => Compilable<R>): PreparedQuery<R> {
    let query = this.#cache.get(shape) as PreparedQuery<R> | undefined;
    if (query === undefined) {
      query = new PreparedQuery(build(this.#db, slot).compile(), this.#direct);
      this.#cache.set(shape, query as PreparedQuery<unknown>);
    }
    return query;
  }
}
