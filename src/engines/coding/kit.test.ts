import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Kysely, sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from './kit/config.js';
import { HttpError } from './kit/errors.js';
import { Repository } from './kit/repository.js';
import { type ServiceDefinition, startService } from './kit/server.js';

// The kit the generated service is built on, run for real: Fastify, Kysely on a SQLite file.
interface Item {
  name: string;
  n?: number;
  flag?: boolean;
}

const table = { name: 'items', columns: { name: 'text', n: 'integer', flag: 'boolean' } } as const;

const definition: ServiceDefinition<{ items: Repository<Item> }> = {
  migrations: {
    '0001_init': {
      up: async (db: Kysely<unknown>) => {
        await db.schema
          .createTable('items')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('createdAt', 'text', (c) => c.notNull())
          .addColumn('updatedAt', 'text', (c) => c.notNull())
          .addColumn('name', 'text', (c) => c.notNull().unique())
          .addColumn('n', 'integer', (c) => c.check(sql`"n" >= 0`))
          .addColumn('flag', 'boolean')
          .execute();
      },
    },
  },
  createStore: (db, dialect) => ({ items: new Repository<Item>(db, dialect, { ...table }) }),
  routes: () => [
    {
      method: 'POST',
      path: '/items',
      operationId: 'createItem',
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name'],
          properties: {
            name: { type: 'string', minLength: 1 },
            n: { type: 'integer' },
            flag: { type: 'boolean' },
          },
        },
      },
      handler: async ({ body, store }) => ({ status: 201, body: await store.items.create(body as Item) }),
    },
    {
      method: 'GET',
      path: '/items/{id}',
      operationId: 'getItem',
      handler: async ({ params, store }) => {
        const item = await store.items.get(params.id ?? '');
        if (!item) throw new HttpError(404, 'NOT_FOUND', 'item not found');
        return { status: 200, body: item };
      },
    },
  ],
  openapi: { openapi: '3.1.0', info: { title: 'items', version: '1' }, paths: {} },
};

const dir = mkdtempSync(join(tmpdir(), 'kit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('service kit', () => {
  it('reads its config from the environment and refuses a bad one', () => {
    expect(loadConfig({ PORT: '8080', DATA_DIR: '/data' })).toMatchObject({
      port: 8080,
      database: { kind: 'sqlite', file: '/data/service.sqlite' },
    });
    expect(loadConfig({ DATABASE_URL: 'postgres://u@h/db' }).database).toEqual({
      kind: 'postgres',
      url: 'postgres://u@h/db',
    });
    expect(() => loadConfig({ PORT: 'x' })).toThrow(/PORT/);
  });

  it('keeps records in its SQLite file across a restart and answers problem+json', async () => {
    const database = { kind: 'sqlite' as const, file: join(dir, 'a', 'service.sqlite') };
    const first = await startService(definition, { database });
    const created = await fetch(`${first.url}/items`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'one', n: 2, flag: true }),
    });
    expect(created.status).toBe(201);
    const item = (await created.json()) as { id: string };
    const dup = await fetch(`${first.url}/items`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'one' }),
    });
    expect(dup.status).toBe(409);
    expect(dup.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(await dup.json()).toMatchObject({ status: 409, code: 'DUPLICATE' });
    const bad = await fetch(`${first.url}/items`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'two', extra: 1 }),
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
    const negative = await fetch(`${first.url}/items`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'three', n: -1 }),
    });
    expect(negative.status).toBe(422);
    expect((await fetch(`${first.url}/ready`)).status).toBe(200);
    expect(await (await fetch(`${first.url}/openapi.json`)).json()).toEqual(definition.openapi);
    const metrics = await (await fetch(`${first.url}/metrics`)).text();
    expect(metrics).toMatch(/http_requests_total\{method="POST",route="\/items",status="201"\} 1/);
    await first.close();

    const second = await startService(definition, { database });
    const again = await fetch(`${second.url}/items/${item.id}`);
    expect(await again.json()).toMatchObject({ id: item.id, name: 'one', n: 2, flag: true });
    expect((await fetch(`${second.url}/items/nope`)).status).toBe(404);
    expect((await fetch(`${second.url}/nowhere`)).status).toBe(404);
    await second.close();
  });
});

describe('the vetted stack', () => {
  it('pins exactly the versions the product itself depends on, so the cache is filled from them', async () => {
    const { STACK, productClosure } = await import('../shared/dev-deps.js');
    const { readFile } = await import('node:fs/promises');
    const pkg = JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8')) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    const product = { ...pkg.dependencies, ...pkg.devDependencies };
    for (const [name, version] of Object.entries({ ...STACK.dependencies, ...STACK.devDependencies })) {
      expect(product[name], name).toBe(version);
    }
    const closure = productClosure();
    expect(closure?.names).toEqual(
      expect.arrayContaining(['fastify', 'kysely', 'better-sqlite3', 'pg', 'zod']),
    );
    expect(closure?.names).not.toContain('prebuild-install');
  });
});
