import { randomUUID } from 'node:crypto';
import type { Db, Dialect, Row } from './db.js';

export interface Stored {
  id: string;
  createdAt: string;
  updatedAt: string;
}

export type ColumnKind = 'text' | 'integer' | 'number' | 'boolean';

/** A table as the generated schema declares it: its name and the kind of each field column. */
export interface TableSpec {
  name: string;
  columns: Record<string, ColumnKind>;
}

type Where<T> = Partial<T & Stored>;

/**
 * One table's records. Absent optional fields are NULL in the table and absent again when read;
 * booleans are 0/1 in SQLite and booleans again when read.
 */
export class Repository<T extends object> {
  constructor(
    private readonly db: Db,
    private readonly dialect: Dialect,
    private readonly table: TableSpec,
  ) {}

  async list(where: Where<T> = {}): Promise<(T & Stored)[]> {
    let query = this.db.selectFrom(this.table.name).selectAll();
    for (const [column, value] of this.conditions(where)) query = query.where(column, '=', value);
    const rows = await query.orderBy('createdAt').orderBy('id').execute();
    return rows.map((r) => this.fromRow(r));
  }

  async get(id: string): Promise<(T & Stored) | undefined> {
    const row = await this.db.selectFrom(this.table.name).selectAll().where('id', '=', id).executeTakeFirst();
    return row ? this.fromRow(row) : undefined;
  }

  /** How many records match `where`, leaving out `exceptId` (the record being updated). */
  async count(where: Where<T> = {}, exceptId?: string): Promise<number> {
    let query = this.db.selectFrom(this.table.name).select((eb) => eb.fn.countAll().as('n'));
    for (const [column, value] of this.conditions(where)) query = query.where(column, '=', value);
    if (exceptId !== undefined) query = query.where('id', '<>', exceptId);
    const row = await query.executeTakeFirst();
    // PostgreSQL answers count(*) as a bigint string.
    return Number(row?.n ?? 0);
  }

  async create(data: T): Promise<T & Stored> {
    const now = new Date().toISOString();
    const row = { ...this.toRow(data), id: randomUUID(), createdAt: now, updatedAt: now };
    await this.db.insertInto(this.table.name).values(row).execute();
    return this.fromRow(row);
  }

  async update(id: string, data: Partial<T>): Promise<(T & Stored) | undefined> {
    const changes = { ...this.toRow(data), updatedAt: new Date().toISOString() };
    const result = await this.db
      .updateTable(this.table.name)
      .set(changes)
      .where('id', '=', id)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) return undefined;
    return this.get(id);
  }

  async delete(id: string): Promise<boolean> {
    const result = await this.db.deleteFrom(this.table.name).where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  private conditions(where: Where<T>): [string, unknown][] {
    return Object.entries(this.toRow(where)).filter(([, v]) => v !== null);
  }

  private toRow(data: object): Row {
    const row: Row = {};
    for (const [key, value] of Object.entries(data)) {
      if (value === undefined) continue;
      const kind = this.table.columns[key];
      if (kind === undefined && key !== 'id' && key !== 'createdAt' && key !== 'updatedAt') continue;
      row[key] =
        kind === 'boolean' && this.dialect === 'sqlite' && typeof value === 'boolean' ? Number(value) : value;
    }
    return row;
  }

  private fromRow(row: Row): T & Stored {
    const out: Row = {};
    for (const [key, value] of Object.entries(row)) {
      if (value === null || value === undefined) continue;
      out[key] = this.table.columns[key] === 'boolean' ? Boolean(value) : value;
    }
    return out as T & Stored;
  }
}
