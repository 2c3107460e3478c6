import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import { BadInputError, ConflictError, NotFoundError } from '../../contracts/errors.js';
import { now } from '../../store/store.js';
import type { StoredToken, StoredUser } from '../../store/users.js';
import { Authenticator, MAX_SESSION_SECONDS } from '../auth/authenticator.js';
import { hashPassword, needsRehash, verifyPassword } from '../auth/passwords.js';
import { can, permissionsOf } from '../auth/rbac.js';
import { ApiError } from '../errors.js';
import { type ApiContext, route } from '../route.js';
import {
  CreatedToken,
  CreateTokenBody,
  CreateUserBody,
  IdParams,
  LoginBody,
  Me,
  Ok,
  Session,
  TokenList,
  UpdateUserBody,
  UserList,
  UserView,
} from '../schemas.js';
import { audit } from './audit.js';

export function userView(user: StoredUser): z.infer<typeof UserView> {
  return {
    id: user.id,
    username: user.username,
    role: user.role,
    disabled: user.disabledAt !== null,
    createdAt: user.createdAt,
  };
}

function tokenView(token: StoredToken) {
  return { ...token };
}

// A dummy hash so an unknown user name costs the same time as a wrong password.
let dummyHash: Promise<string> | undefined;

/** Login, the current user, users (admin) and API tokens (own; admin sees all). */
export async function usersPlugin(
  app: FastifyInstance,
  ctx: ApiContext,
  loginRateLimit: Record<string, unknown>,
) {
  const { users, auth, runtime } = ctx;

  route(app, ctx, {
    method: 'POST',
    url: '/api/v1/auth/login',
    summary: 'Log in with user name and password; returns a short-lived JWT',
    tags: ['auth'],
    access: 'public',
    body: LoginBody,
    response: Session,
    rateLimit: loginRateLimit,
    handler: async ({ body }) => {
      const user = await users.getUserByName(body.username);
      dummyHash ??= hashPassword('not a password');
      const ok = await verifyPassword(body.password, user?.passwordHash ?? (await dummyHash));
      if (user === undefined || !ok || user.disabledAt !== null) {
        await audit(runtime, body.username, 'auth.login_failed', body.username, null);
        throw new ApiError('UNAUTHORIZED', 'wrong user name or password');
      }
      // Hashes made with older, weaker parameters are upgraded while the password is at hand.
      const rehashed = needsRehash(user.passwordHash);
      if (rehashed) await users.updateUser(user.id, { passwordHash: await hashPassword(body.password) });
      const { token, expiresAt } = await auth.issue(user);
      await audit(
        runtime,
        user.username,
        'auth.login',
        user.id,
        rehashed ? { passwordRehashed: true } : null,
      );
      return {
        token,
        tokenType: 'Bearer' as const,
        expiresAt,
        user: userView(user),
        permissions: permissionsOf(user.role),
      };
    },
  });

  route(app, ctx, {
    method: 'POST',
    url: '/api/v1/auth/refresh',
    summary: 'Exchange a valid session token for a fresh one',
    tags: ['auth'],
    access: 'authenticated',
    response: Session,
    handler: async ({ user }) => {
      if (user.via !== 'jwt') throw new BadInputError('API tokens do not need refreshing');
      const stored = await users.getUser(user.id);
      if (stored === undefined) throw new ApiError('UNAUTHORIZED', 'the account no longer exists');
      const loggedInAt = user.loggedInAt ?? Math.floor(Date.now() / 1000);
      if (Date.now() / 1000 - loggedInAt > MAX_SESSION_SECONDS)
        throw new ApiError(
          'UNAUTHORIZED',
          `the session started over ${MAX_SESSION_SECONDS / 86_400} days ago; log in again`,
        );
      const { token, expiresAt } = await auth.issue(stored, loggedInAt);
      return {
        token,
        tokenType: 'Bearer' as const,
        expiresAt,
        user: userView(stored),
        permissions: permissionsOf(stored.role),
      };
    },
  });

  route(app, ctx, {
    method: 'GET',
    url: '/api/v1/auth/me',
    summary: 'The signed-in user and their permissions',
    tags: ['auth'],
    access: 'authenticated',
    response: Me,
    handler: async ({ user }) => {
      const stored = await users.getUser(user.id);
      if (stored === undefined) throw new ApiError('UNAUTHORIZED', 'the account no longer exists');
      return { user: userView(stored), permissions: permissionsOf(stored.role), via: user.via };
    },
  });

  route(app, ctx, {
    method: 'GET',
    url: '/api/v1/users',
    summary: 'List users',
    tags: ['users'],
    access: 'users:manage',
    response: UserList,
    handler: async () => ({ users: (await users.listUsers()).map(userView) }),
  });

  route(app, ctx, {
    method: 'POST',
    url: '/api/v1/users',
    summary: 'Create a user',
    tags: ['users'],
    access: 'users:manage',
    body: CreateUserBody,
    response: UserView,
    status: 201,
    handler: async ({ body, user }) => {
      if ((await users.getUserByName(body.username)) !== undefined)
        throw new ConflictError(`user ${body.username} already exists`);
      const created = await users.insertUser({
        username: body.username,
        role: body.role,
        passwordHash: await hashPassword(body.password),
      });
      await audit(runtime, user.username, 'user.create', created.id, {
        username: created.username,
        role: created.role,
      });
      return userView(created);
    },
  });

  route(app, ctx, {
    method: 'PATCH',
    url: '/api/v1/users/:id',
    summary: "Change a user's role or password, or disable them",
    tags: ['users'],
    access: 'users:manage',
    params: IdParams,
    body: UpdateUserBody,
    response: UserView,
    handler: async ({ params, body, user }) => {
      const target = await users.getUser(params.id);
      if (target === undefined) throw new NotFoundError('user', params.id);
      const demotesSelf = target.id === user.id && ((body.role && body.role !== 'admin') || body.disabled);
      if (demotesSelf) throw new ConflictError('you cannot demote or disable yourself; ask another admin');
      await users.updateUser(target.id, {
        ...(body.role === undefined ? {} : { role: body.role }),
        ...(body.password === undefined ? {} : { passwordHash: await hashPassword(body.password) }),
        ...(body.disabled === undefined ? {} : { disabledAt: body.disabled ? now() : null }),
      });
      auth.forget();
      await audit(runtime, user.username, 'user.update', target.id, {
        role: body.role ?? null,
        passwordChanged: body.password !== undefined,
        disabled: body.disabled ?? null,
      });
      return userView((await users.getUser(target.id))!);
    },
  });

  route(app, ctx, {
    method: 'GET',
    url: '/api/v1/tokens',
    summary: 'List API tokens: your own, or everyone’s for an admin',
    tags: ['tokens'],
    access: 'tokens:own',
    response: TokenList,
    handler: async ({ user }) => ({
      tokens: (await users.listTokens(can(user.role, 'users:manage') ? undefined : user.id)).map(tokenView),
    }),
  });

  route(app, ctx, {
    method: 'POST',
    url: '/api/v1/tokens',
    summary: 'Create an API token for scripts and CI; the secret is shown once',
    tags: ['tokens'],
    access: 'tokens:own',
    body: CreateTokenBody,
    response: CreatedToken,
    status: 201,
    handler: async ({ body, user }) => {
      const { secret, hash } = Authenticator.newApiToken();
      const expiresAt =
        body.expiresInDays === undefined
          ? null
          : new Date(Date.now() + body.expiresInDays * 86_400_000).toISOString();
      const token = await users.insertToken({ userId: user.id, name: body.name, tokenHash: hash, expiresAt });
      await audit(runtime, user.username, 'token.create', token.id, { name: token.name, expiresAt });
      return { token: tokenView(token), secret };
    },
  });

  route(app, ctx, {
    method: 'DELETE',
    url: '/api/v1/tokens/:id',
    summary: 'Revoke an API token',
    tags: ['tokens'],
    access: 'tokens:own',
    params: IdParams,
    response: Ok,
    handler: async ({ params, user }) => {
      const token = await users.getToken(params.id);
      if (token === undefined || (token.userId !== user.id && !can(user.role, 'users:manage')))
        throw new NotFoundError('token', params.id);
      await users.deleteToken(token.id);
      auth.forget();
      await audit(runtime, user.username, 'token.revoke', token.id, { name: token.name });
      return { ok: true as const };
    },
  });
}
