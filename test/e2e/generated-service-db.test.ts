import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCode } from '../../src/engines/coding/generate.js';
import { librarySpecs, tempWorkspace, testContext } from '../../src/engines/coding/test-fixtures.js';

// A generated service as a user runs it: built, started as a process, stopped with SIGTERM and
// started again, on its SQLite file and on the machine's PostgreSQL (a fresh database, dropped after).
process.env.POWERAUTO_HOME ??= join(tmpdir(), 'powerauto-test-home');
const run = promisify(execFile);
const ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const specs = librarySpecs();
let ws = '';
const cleanup: (() => Promise<void>)[] = [];

beforeAll(async () => {
  ws = await tempWorkspace();
  cleanup.push(() => rm(ws, { recursive: true, force: true }));
  await generateCode({ ...specs, workspace: ws }, testContext());
  await run(process.execPath, [join(ws, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], {
    cwd: ws,
    timeout: 120_000,
  });
}, 180_000);

afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn();
});

interface Running {
  url: string;
  child: ChildProcess;
  output: () => string;
}

async function start(env: Record<string, string>): Promise<Running> {
  const child = spawn(process.execPath, [join(ws, 'dist', 'src', 'main.js')], {
    cwd: ws,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (c: string) => {
    output += c;
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "listening" line: ${output}`)), 30_000);
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${output}`)));
    child.stdout?.on('data', (chunk: string) => {
      output += chunk;
      const line = output.split('\n').find((l) => l.includes('"listening"'));
      if (line) {
        clearTimeout(timer);
        resolve(String((JSON.parse(line) as { url: string }).url));
      }
    });
  });
  return { url, child, output: () => output };
}

async function stop(service: Running): Promise<void> {
  const exited = once(service.child, 'exit');
  service.child.kill('SIGTERM');
  const [code] = await exited;
  expect(code).toBe(0);
  expect(service.output()).toMatch(/"msg":"shutting down"/);
}

async function post(url: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Keeps a record across a restart, serves the design's document, and holds a unique key and a limit under concurrent writes. */
async function exercise(env: Record<string, string>) {
  const first = await start(env);
  let second: Running | null = null;
  try {
    expect(await (await fetch(`${first.url}/openapi.json`)).json()).toEqual(specs.architecture.api);
    expect((await fetch(`${first.url}/ready`)).status).toBe(200);
    const member = await post(`${first.url}/members`, { name: 'Ada', email: 'ada@example.com' });
    expect(member.status, JSON.stringify(member.body)).toBe(201);

    // 12 writers, one email: exactly one wins, the rest are told 409 by the constraint or the check.
    const same = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        post(`${first.url}/members`, { name: `M${i}`, email: 'same@example.com' }),
      ),
    );
    expect(same.filter((r) => r.status === 201)).toHaveLength(1);
    expect(same.filter((r) => r.status === 409)).toHaveLength(11);

    // REQ-005, at most 3 loans per member: 10 concurrent loans for one member, exactly 3 succeed.
    const books = [];
    for (let i = 0; i < 10; i++) {
      const book = await post(`${first.url}/books`, { title: `T${i}`, author: 'A', isbn: `isbn-${i}` });
      expect(book.status, JSON.stringify(book.body)).toBe(201);
      books.push(book.body);
    }
    const loans = await Promise.all(
      books.map((b) =>
        post(`${first.url}/loans`, { bookId: b.id, memberId: member.body.id, dueDate: '2030-01-01' }),
      ),
    );
    expect(loans.map((l) => l.status).sort()).toEqual([201, 201, 201, 409, 409, 409, 409, 409, 409, 409]);
    await stop(first);

    second = await start(env);
    const listed = (await (await fetch(`${second.url}/members`)).json()) as { id: string; email: string }[];
    expect(listed.find((m) => m.id === member.body.id)?.email).toBe('ada@example.com');
    const held = (await (
      await fetch(`${second.url}/members/${String(member.body.id)}/loans`)
    ).json()) as unknown[];
    expect(held).toHaveLength(3);
  } finally {
    if (first.child.exitCode === null) first.child.kill('SIGKILL');
    if (second) await stop(second);
  }
}

describe('a generated service on a real database', () => {
  it('keeps its records in its SQLite file across a restart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pa-sqlite-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    await exercise({ DATA_DIR: dir });
    expect((await readFile(join(dir, 'service.sqlite'))).subarray(0, 15).toString()).toBe('SQLite format 3');
  }, 120_000);

  it('keeps its records in PostgreSQL with DATABASE_URL', async () => {
    const name = `pa_test_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: ADMIN_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    cleanup.push(async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    });
    const url = new URL(ADMIN_URL);
    url.pathname = `/${name}`;
    await exercise({ DATABASE_URL: url.toString() });
    // The records are in PostgreSQL, not in a file next to the service.
    const db = new pg.Client({ connectionString: url.toString() });
    await db.connect();
    try {
      const { rows } = await db.query('SELECT count(*)::int AS n FROM members');
      expect(rows[0]).toEqual({ n: 2 });
      const migrations = await db.query('SELECT name FROM kysely_migration');
      expect(migrations.rows).toEqual([{ name: '0001_init' }]);
    } finally {
      await db.end();
    }
  }, 120_000);
});
