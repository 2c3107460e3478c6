import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import type { UserRole } from '../../contracts/models.js';
import { now } from '../../store/store.js';
import type { StoredUser, UserStore } from '../../store/users.js';
import { ApiError } from '../errors.js';
import { Lru } from './lru.js';

export interface AuthUser {
  id: string;
  username: string;
  role: UserRole;
  /** How the request proved who it is. */
  via: 'jwt' | 'token';
  /** For a session token: when its user logged in (epoch seconds); refreshes keep it. */
  loggedInAt?: number;
}

const ISSUER = 'powerauto';
const API_TOKEN_PREFIX = 'pat_';
/** Cached identity lookups: a disabled user or a revoked token is refused within this long. */
const CACHE_MS = 1_000;
const TOUCH_EVERY_MS = 60_000;
/** Entries per identity cache; beyond it the least recently used goes. */
export const CACHE_CAP = 10_000;
/**
 * A session can be refreshed for this long after its login, then the user logs in again: a stolen
 * session token does not live forever.
 */
export const MAX_SESSION_SECONDS = 7 * 86_400;

/** Reads the HS256 secret from `$POWERAUTO_HOME/api-secret`, creating it (0600) on first start. */
export function loadOrCreateSecret(home: string): Uint8Array {
  const path = join(home, 'api-secret');
  if (!existsSync(path)) {
    writeFileSync(path, randomBytes(48).toString('base64url'), { mode: 0o600, flag: 'wx' });
  }
  chmodSync(path, 0o600);
  return new TextEncoder().encode(readFileSync(path, 'utf8').trim());
}

export function hashApiToken(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Verifies bearer credentials: short-lived JWTs from login, or API tokens (`pat_…`) for scripts and CI. */
export class Authenticator {
  readonly #secret: Uint8Array;
  readonly #users: UserStore;
  readonly ttlSeconds: number;
  // Every cache is capped: its keys come from what clients send (user ids from signed tokens, token
  // hashes of any `pat_` guess, token texts), and a flood of distinct ones must not grow memory.
  readonly #userCache = new Lru<string, { user: StoredUser | undefined; until: number }>(CACHE_CAP);
  readonly #tokenCache = new Lru<string, { user: AuthUser | null; tokenId: string | null; until: number }>(
    CACHE_CAP,
  );
  readonly #touched = new Lru<string, number>(CACHE_CAP);
  readonly #listeners = new Set<() => void>();
  /** Verified session tokens (signature and expiry checked once), by token text. */
  readonly #verified = new Lru<string, { subject: string; loggedInAt: number; exp: number }>(CACHE_CAP);

  constructor(secret: Uint8Array, users: UserStore, ttlSeconds: number) {
    this.#secret = secret;
    this.#users = users;
    this.ttlSeconds = ttlSeconds;
  }

  /** A session token; `loggedInAt` (epoch seconds) is carried over by a refresh, else it is now. */
  async issue(user: StoredUser, loggedInAt?: number): Promise<{ token: string; expiresAt: string }> {
    const nowSeconds = Math.floor(Date.now() / 1000);
    const exp = nowSeconds + this.ttlSeconds;
    const token = await new SignJWT({
      name: user.username,
      role: user.role,
      auth_time: loggedInAt ?? nowSeconds,
    })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(ISSUER)
      .setSubject(user.id)
      .setIssuedAt()
      .setExpirationTime(exp)
      .sign(this.#secret);
    return { token, expiresAt: new Date(exp * 1000).toISOString() };
  }

  /** A new API token: the secret is returned once; only its hash is stored. */
  static newApiToken(): { secret: string; hash: string } {
    const secret = `${API_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    return { secret, hash: hashApiToken(secret) };
  }

  async authenticate(credential: string): Promise<AuthUser> {
    if (credential.startsWith(API_TOKEN_PREFIX)) return this.#apiToken(credential);
    const { subject, loggedInAt } = await this.#verify(credential);
    // Role and status come from the database, so a demotion or a disabled account takes effect now.
    const user = await this.#user(subject);
    if (user === undefined || user.disabledAt !== null)
      throw new ApiError('UNAUTHORIZED', 'the account no longer exists or is disabled');
    return { id: user.id, username: user.username, role: user.role, via: 'jwt', loggedInAt };
  }

  async #verify(credential: string): Promise<{ subject: string; loggedInAt: number }> {
    const cached = this.#verified.get(credential);
    if (cached !== undefined && cached.exp > Date.now()) return cached;
    try {
      const { payload } = await jwtVerify(credential, this.#secret, {
        issuer: ISSUER,
        algorithms: ['HS256'],
      });
      if (typeof payload.sub !== 'string' || typeof payload.exp !== 'number')
        throw new ApiError('UNAUTHORIZED', 'the token names no user');
      // Tokens issued before auth_time existed count from their issue time.
      const loggedInAt =
        typeof payload.auth_time === 'number'
          ? payload.auth_time
          : (payload.iat ?? payload.exp - this.ttlSeconds);
      const verified = { subject: payload.sub, loggedInAt, exp: payload.exp * 1000 };
      this.#verified.set(credential, verified);
      return verified;
    } catch (err) {
      if (err instanceof ApiError) throw err;
      const expired = err instanceof joseErrors.JWTExpired;
      throw new ApiError('UNAUTHORIZED', expired ? 'the session expired; log in again' : 'invalid token');
    }
  }

  /** The user as the database has them now (cached briefly), or undefined when gone or disabled. */
  async currentUser(id: string): Promise<StoredUser | undefined> {
    const user = await this.#user(id);
    return user === undefined || user.disabledAt !== null ? undefined : user;
  }

  /** Drops cached identities after users or tokens change. */
  /** How many entries the identity caches hold now (for tests and metrics). */
  cacheSizes(): { users: number; tokens: number; verified: number; touched: number } {
    return {
      users: this.#userCache.size,
      tokens: this.#tokenCache.size,
      verified: this.#verified.size,
      touched: this.#touched.size,
    };
  }

  forget(): void {
    this.#userCache.clear();
    this.#tokenCache.clear();
    for (const listener of this.#listeners) listener();
  }

  /** Called after users, tokens or sessions change, so long-lived connections re-check at once. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async #user(id: string): Promise<StoredUser | undefined> {
    const cached = this.#userCache.get(id);
    if (cached !== undefined && cached.until > Date.now()) return cached.user;
    const user = await this.#users.getUser(id);
    this.#userCache.set(id, { user, until: Date.now() + CACHE_MS });
    return user;
  }

  async #apiToken(secret: string): Promise<AuthUser> {
    const hash = hashApiToken(secret);
    let entry = this.#tokenCache.get(hash);
    if (entry === undefined || entry.until <= Date.now()) {
      const found = await this.#users.findToken(hash);
      const valid =
        found !== undefined &&
        found.user.disabledAt === null &&
        (found.token.expiresAt === null || found.token.expiresAt > now());
      entry = {
        user: valid
          ? { id: found.user.id, username: found.user.username, role: found.user.role, via: 'token' }
          : null,
        tokenId: found?.token.id ?? null,
        until: Date.now() + CACHE_MS,
      };
      this.#tokenCache.set(hash, entry);
    }
    if (entry.user === null || entry.tokenId === null)
      throw new ApiError('UNAUTHORIZED', 'invalid, expired or revoked API token');
    this.#touch(entry.tokenId);
    return entry.user;
  }

  /** Records "last used" at most once a minute per token: no write on every request. */
  #touch(tokenId: string): void {
    const last = this.#touched.get(tokenId) ?? 0;
    if (Date.now() - last < TOUCH_EVERY_MS) return;
    this.#touched.set(tokenId, Date.now());
    void this.#users.touchToken(tokenId, now()).catch(() => {});
  }
}
