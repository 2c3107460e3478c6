import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Db, openSqliteDb } from './db.js';

let home: string | undefined;
let db: Db | undefined;
afterEach(async () => {
  await db?.destroy();
  if (home !== undefined) await rm(home, { recursive: true, force: true });
  db = undefined;
  home = undefined;
});

describe('WAL checkpoints on a worker thread', () => {
  it('copies committed pages into the database file while the writer never checkpoints itself', async () => {
    home = await mkdtemp(join(tmpdir(), 'powerauto-wal-'));
    const path = join(home, 'powerauto.db');
    db = await openSqliteDb(path);
    const auto = await sql<{ walAutocheckpoint: number }>`pragma wal_autocheckpoint`.execute(db);
    expect(auto.rows[0]?.walAutocheckpoint).toBe(0);

    const before = (await stat(path)).size;
    await sql`create table filler (b blob)`.execute(db);
    for (let i = 0; i < 40; i++) await sql`insert into filler values (randomblob(65536))`.execute(db);
    // 2.5 MB committed: only a checkpoint moves it from the WAL into the database file.
    await vi.waitFor(async () => expect((await stat(path)).size).toBeGreaterThan(before + 2_000_000), {
      timeout: 10_000,
      interval: 50,
    });
  });
});

describe('closing a file database', () => {
  it('closes the worker first, so its own close removes the WAL and nothing changes afterwards', async () => {
    home = await mkdtemp(join(tmpdir(), 'powerauto-wal-'));
    const path = join(home, 'powerauto.db');
    const opened = await openSqliteDb(path);
    const before = (await stat(path)).size;
    await sql`create table filler (b blob)`.execute(opened);
    await sql`insert into filler values (randomblob(65536))`.execute(opened);
    // The worker has its connection open once it has checkpointed something.
    await vi.waitFor(async () => expect((await stat(path)).size).toBeGreaterThan(before + 60_000), {
      timeout: 10_000,
      interval: 20,
    });
    await opened.destroy();
    // Had the worker's connection outlived this one, it would remove the WAL later, racing whoever
    // deletes or copies the folder next.
    expect(existsSync(`${path}-wal`)).toBe(false);
    expect(await readdir(home)).toEqual(['powerauto.db']);
  });
});
