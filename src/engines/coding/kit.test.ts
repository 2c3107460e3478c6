import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { type Kysely, sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { generateCode } from './generate.js';
import { loadConfig } from './kit/config.js';
import { HttpError } from './kit/errors.js';
import { createLogger } from './kit/logger.js';
import { Repository } from './kit/repository.js';
import { requestSchemas } from './kit/request-schemas.js';
import { type RunningService, type ServiceDefinition, startService } from './kit/server.js';
import { librarySpecs, tempWorkspace, testContext } from './test-fixtures.js';

process.env.POWERAUTO_HOME ??= join(tmpdir(), 'powerauto-test-home');

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

async function send(
  service: { url: string },
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; type: string; body: Record<string, unknown> }> {
  const res = await fetch(`${service.url}${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return {
    status: res.status,
    type: res.headers.get('content-type') ?? '',
    body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
  };
}

/** Refused by Fastify's validator: Ajv's messages name the part (`body/title …`), the domain parse names the field (`"title" …`). */
function expectSchemaRefusal(answer: Awaited<ReturnType<typeof send>>, detail: RegExp): void {
  expect(answer.status, JSON.stringify(answer.body)).toBe(400);
  expect(answer.type).toMatch(/application\/problem\+json/);
  expect(answer.body).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
  expect(String(answer.body.detail)).toMatch(detail);
}

describe('request validation from the OpenAPI document', () => {
  it('a generated service refuses what its document refuses, by schema, and takes a good body', async () => {
    const ws = await tempWorkspace();
    try {
      // No architecture: the design's document is the architecture engine's own (buildOpenApi).
      const { requirements } = librarySpecs();
      await generateCode(
        { requirements, workspace: ws } as Parameters<typeof generateCode>[0],
        testContext(),
      );
      const generated = (await import(join(ws, 'src/server.ts'))) as {
        startServer: () => Promise<RunningService<unknown>>;
      };
      const service = await generated.startServer();
      try {
        const doc = (await send(service, 'GET', '/openapi.json')).body as {
          paths: Record<string, Record<string, { requestBody?: unknown }>>;
        };
        expect(doc.paths['/books']?.post?.requestBody).toBeDefined();

        expectSchemaRefusal(
          await send(service, 'POST', '/books', { title: 42, author: 'A', isbn: '1' }),
          /^body\/title must be string$/,
        );
        expectSchemaRefusal(
          await send(service, 'POST', '/books', { title: 'T', author: 'A' }),
          /^body must have required property 'isbn'$/,
        );
        expectSchemaRefusal(
          await send(service, 'POST', '/books', { title: 'T', author: 'A', isbn: '1', extra: true }),
          /^body must NOT have additional property "extra"$/,
        );
        expectSchemaRefusal(
          await send(service, 'POST', '/books', {
            title: 'T',
            author: 'A',
            isbn: '1',
            published: '2024-02-30',
          }),
          /^body\/published must match format "date"$/,
        );
        expectSchemaRefusal(
          await send(service, 'POST', '/books', ['not', 'an', 'object']),
          /^body must be object$/,
        );
        expectSchemaRefusal(await send(service, 'POST', '/books'), /^body must be object$/);
        expectSchemaRefusal(
          await send(service, 'POST', '/members', { name: 'N', email: 'not-an-email' }),
          /^body\/email must match format "email"$/,
        );

        const created = await send(service, 'POST', '/books', {
          title: 'T',
          author: 'A',
          isbn: '978-1',
          published: '2024-02-29',
        });
        expect(created.status, JSON.stringify(created.body)).toBe(201);
        expect(created.body).toMatchObject({ title: 'T', isbn: '978-1', published: '2024-02-29' });
        // PATCH takes BookUpdate: at least one known field.
        const id = String(created.body.id);
        expectSchemaRefusal(
          await send(service, 'PATCH', `/books/${id}`, {}),
          /^body must NOT have fewer than 1 properties$/,
        );
        expect((await send(service, 'PATCH', `/books/${id}`, { title: 'U' })).body).toMatchObject({
          title: 'U',
        });
        // The domain checks still run behind the schema: a blank title passes minLength 1, not the parse.
        const blank = await send(service, 'POST', '/books', { title: ' ', author: 'A', isbn: '2' });
        expect(blank.status).toBe(400);
        expect(String(blank.body.detail)).toMatch(/"title" must be/);
      } finally {
        await service.close();
      }
    } finally {
      rmSync(ws, { recursive: true, force: true });
    }
  }, 120_000);

  // An OpenAPI 3.1 document as a model or a person may write it, for the kit alone.
  const seen: { params?: unknown; query?: unknown; body?: unknown }[] = [];
  const echo = async ({ params, query, body }: { params: unknown; query: unknown; body: unknown }) => {
    seen.push({ params, query, body });
    return { status: 200, body: { ok: true } };
  };
  const node = {
    type: 'object',
    required: ['id', 'label'],
    properties: {
      id: { type: 'string', readOnly: true },
      label: { type: 'string', examples: ['a'] },
      note: { type: ['string', 'null'] },
      phone: { type: 'string', format: 'phone-number' },
      children: { type: 'array', items: { $ref: '#/components/schemas/Node' } },
    },
  };
  const handWritten: ServiceDefinition<Record<string, never>> = {
    migrations: {},
    createStore: () => ({}),
    routes: () => [
      { method: 'POST', path: '/nodes', operationId: 'createNode', handler: echo },
      { method: 'GET', path: '/nodes/{n}', operationId: 'getNode', handler: echo },
      { method: 'POST', path: '/elsewhere', operationId: 'external', handler: echo },
      { method: 'POST', path: '/ping', operationId: 'ping', handler: echo },
    ],
    openapi: {
      openapi: '3.1.0',
      info: { title: 'nodes', version: '1' },
      paths: {
        '/nodes': {
          post: {
            operationId: 'createNode',
            requestBody: {
              required: true,
              content: {
                'application/json; charset=utf-8': { schema: { $ref: '#/components/schemas/Node' } },
              },
            },
            responses: {},
          },
        },
        '/nodes/{n}': {
          parameters: [{ $ref: '#/components/parameters/N' }],
          get: {
            operationId: 'getNode',
            parameters: [
              { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 0, exclusiveMinimum: true } },
              { name: 'tag', in: 'query', schema: { type: 'array', items: { type: 'boolean' } } },
              { name: 'q', in: 'query', required: true, schema: { type: 'string', minLength: 2 } },
            ],
            responses: {},
          },
        },
        '/elsewhere': {
          post: {
            operationId: 'external',
            requestBody: {
              required: true,
              content: { 'application/json': { schema: { $ref: 'other.yaml#/Thing' } } },
            },
            responses: {},
          },
        },
        '/ping': {
          post: {
            operationId: 'ping',
            requestBody: {
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Ping' } } },
            },
            responses: {},
          },
        },
      },
      components: {
        parameters: { N: { name: 'n', in: 'path', required: true, schema: { type: 'integer' } } },
        schemas: {
          Node: node,
          Ping: { type: 'object', additionalProperties: false, properties: { at: { type: 'integer' } } },
        },
      },
    },
  };

  it('bridges OpenAPI 3.1 to Fastify: references, recursion, readOnly, nullable, unknown formats, query types', async () => {
    const lines: string[] = [];
    const logger = createLogger(
      'warn',
      new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    );
    const service = await startService(handWritten, { logger });
    try {
      // Recursive $ref, readOnly `id` not required in a request, ['string','null'], an unknown format ignored.
      const tree = {
        label: 'root',
        note: null,
        phone: 'call me',
        children: [{ label: 'leaf', children: [] }],
      };
      expect((await send(service, 'POST', '/nodes', tree)).status).toBe(200);
      expect(seen.at(-1)?.body).toEqual(tree);
      expectSchemaRefusal(
        await send(service, 'POST', '/nodes', { label: 'root', children: [{ label: 7 }] }),
        /^body\/children\/0\/label must be string$/,
      );
      expectSchemaRefusal(
        await send(service, 'POST', '/nodes', { note: 1 }),
        /required property 'label'.*body\/note must be string,null/,
      );
      expect(lines.join('')).toMatch(/unknown format \\"phone-number\\" ignored/);

      // Path and query values are strings on the wire, validated as the types the document declares;
      // the handler still gets the path value as the string it was.
      expect((await send(service, 'GET', '/nodes/12?limit=1&tag=true&q=ab')).status).toBe(200);
      expect(seen.at(-1)).toMatchObject({ params: { n: '12' }, query: { limit: 1, tag: [true], q: 'ab' } });
      expectSchemaRefusal(await send(service, 'GET', '/nodes/x?q=ab'), /^params\/n must be integer$/);
      expectSchemaRefusal(
        await send(service, 'GET', '/nodes/1?q=ab&limit=0'),
        /^querystring\/limit must be > 0$/,
      );
      expectSchemaRefusal(
        await send(service, 'GET', '/nodes/1'),
        /^querystring must have required property 'q'$/,
      );

      // An optional body may be left out, not be wrong.
      expect((await send(service, 'POST', '/ping')).status).toBe(200);
      expect((await send(service, 'POST', '/ping', { at: 1 })).status).toBe(200);
      expectSchemaRefusal(await send(service, 'POST', '/ping', { at: 'noon' }), /^body\/at must be integer$/);

      // A body of many unknown fields gets a short answer.
      const many = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`f${i}`, i]));
      const refused = await send(service, 'POST', '/ping', many);
      expectSchemaRefusal(refused, /; and 40 more$/);
      expect(String(refused.body.detail).split('; ')).toHaveLength(11);

      // A reference Ajv cannot resolve leaves that route without a schema instead of failing the start.
      expect((await send(service, 'POST', '/elsewhere', { anything: 1 })).status).toBe(200);
      expect(lines.join('')).toMatch(/"operationId":"external".*does not compile/);
    } finally {
      await service.close();
    }
  });

  it('derives nothing for an operation the document lacks, and lets a schema given in code win', () => {
    const doc = handWritten.openapi;
    expect(requestSchemas(doc, { method: 'DELETE', path: '/nowhere', operationId: 'none' }).schema).toEqual(
      {},
    );
    // Found by method and path when the operationId differs.
    expect(
      requestSchemas(doc, { method: 'POST', path: '/ping', operationId: 'renamed' }).schema.body,
    ).toBeDefined();
    const node = requestSchemas(doc, { method: 'POST', path: '/nodes', operationId: 'createNode' }).schema
      .body;
    expect(node).toMatchObject({
      $ref: '#/definitions/Node',
      definitions: { Node: { required: ['label'] } },
    });
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

  it('locks every dependency of a locked package, so `npm ci` (the Dockerfile runs it) takes the lockfile', async () => {
    const { stackLockPackages } = await import('../shared/dev-deps.js');
    const lock = stackLockPackages() as Record<string, { dependencies?: Record<string, string> }>;
    // better-sqlite3's install script needs it: not in the cache, but npm ci refuses a lock without it.
    expect(lock['node_modules/prebuild-install']).toBeDefined();
    const missing: string[] = [];
    for (const [path, entry] of Object.entries(lock)) {
      for (const dep of Object.keys(entry.dependencies ?? {})) {
        // Node's lookup in lockfile paths: nested under the package, then each parent, then the top.
        let found = false;
        for (let at = path; !found; ) {
          found = lock[`${at}/node_modules/${dep}`] !== undefined;
          const up = at.lastIndexOf('/node_modules/');
          if (up < 0) break;
          at = at.slice(0, up);
        }
        if (!found && lock[`node_modules/${dep}`] === undefined) missing.push(`${path} -> ${dep}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
