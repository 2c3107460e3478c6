import type { Kysely } from 'kysely';
import type { UserRole } from '../contracts/models.js';
import type { Db } from './db.js';
import type { ApiTokensTable, Database, UsersTable } from './schema.js';
import { newId, now } from './store.js';

// Columns added by migration 0003-api-auth; schema.ts keeps the core tables.
interface AuthUsersTable extends UsersTable {
  disabledAt: string | null;
}
interface AuthApiTokensTable extends ApiTokensTable {
  expiresAt: string | null;
}
interface AuthDatabase extends Omit<Database, 'users' | 'apiTokens'> {
  users: AuthUsersTable;
  apiTokens: AuthApiTokensTable;
}

export interface StoredUser {
  id: string;
  username: string;
  role: UserRole;
  passwordHash: string | null;
  disabledAt: string | null;
  createdAt: string;
}

export interface StoredToken {
  id: string;
  userId: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
}

/** Users and API tokens. Token secrets are never stored: only their SHA-256 hash. */
export class UserStore {
  readonly #db: Kysely<AuthDatabase>;

  constructor(db: Db) {
    this.#db = db as unknown as Kysely<AuthDatabase>;
  }

  async countUsers(): Promise<number> {
    const row = await this.#db
      .selectFrom('users')
      .select(({ fn }) => fn.countAll<number>().as('n'))
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async insertUser(user: {
    username: string;
    role: UserRole;
    passwordHash: string | null;
  }): Promise<StoredUser> {
    const row: AuthUsersTable = { id: newId('usr'), ...user, disabledAt: null, createdAt: now() };
    await this.#db.insertInto('users').values(row).execute();
    return toUser(row);
  }

  async getUser(id: string): Promise<StoredUser | undefined> {
    const row = await this.#db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : toUser(row);
  }

  async getUserByName(username: string): Promise<StoredUser | undefined> {
    const row = await this.#db
      .selectFrom('users')
      .selectAll()
      .where('username', '=', username)
      .executeTakeFirst();
    return row === undefined ? undefined : toUser(row);
  }

  async listUsers(): Promise<StoredUser[]> {
    const rows = await this.#db.selectFrom('users').selectAll().orderBy('createdAt').execute();
    return rows.map(toUser);
  }

  async updateUser(
    id: string,
    patch: Partial<Pick<StoredUser, 'role' | 'passwordHash' | 'disabledAt'>>,
  ): Promise<void> {
    await this.#db.updateTable('users').set(patch).where('id', '=', id).execute();
  }

  async insertToken(token: {
    userId: string;
    name: string;
    tokenHash: string;
    expiresAt: string | null;
  }): Promise<StoredToken> {
    const row: AuthApiTokensTable = { id: newId('tok'), ...token, createdAt: now(), lastUsedAt: null };
    await this.#db.insertInto('apiTokens').values(row).execute();
    return toToken(row);
  }

  /** The token and its owner, by the hash of the secret the client sent. */
  async findToken(tokenHash: string): Promise<{ token: StoredToken; user: StoredUser } | undefined> {
    const token = await this.#db
      .selectFrom('apiTokens')
      .selectAll()
      .where('tokenHash', '=', tokenHash)
      .executeTakeFirst();
    if (token === undefined) return undefined;
    const user = await this.getUser(token.userId);
    return user === undefined ? undefined : { token: toToken(token), user };
  }

  async listTokens(userId?: string): Promise<StoredToken[]> {
    let query = this.#db.selectFrom('apiTokens').selectAll().orderBy('createdAt');
    if (userId !== undefined) query = query.where('userId', '=', userId);
    return (await query.execute()).map(toToken);
  }

  async getToken(id: string): Promise<StoredToken | undefined> {
    const row = await this.#db.selectFrom('apiTokens').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : toToken(row);
  }

  async deleteToken(id: string): Promise<void> {
    await this.#db.deleteFrom('apiTokens').where('id', '=', id).execute();
  }

  async touchToken(id: string, at: string): Promise<void> {
    await this.#db.updateTable('apiTokens').set({ lastUsedAt: at }).where('id', '=', id).execute();
  }
}

function toUser(row: AuthUsersTable): StoredUser {
  return {
    id: row.id,
    username: row.username,
    role: row.role as UserRole,
    passwordHash: row.passwordHash,
    disabledAt: row.disabledAt,
    createdAt: row.createdAt,
  };
}

function toToken(row: AuthApiTokensTable): StoredToken {
  return {
    id: row.id,
    userId: row.userId,
    name: row.name,
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt,
    expiresAt: row.expiresAt,
  };
}
