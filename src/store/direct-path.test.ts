import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Db, openSqliteDb } from './db.js';
import { Store } from './store.js';

describe('SQLite transactions beside Kysely', () => {
  let db: Db;
  let store: Store;
  beforeEach(async () => {
    db = await openSqliteDb(':memory:');
    store = new Store(db);
    await db
      .insertInto('projects')
      .values({ id: 'p', name: 'p', workspacePath: '/w', createdAt: 'now' })
      .execute();
  });
  afterEach(() => db.destroy());

  const projectName = async () =>
    (await db.selectFrom('projects').select('name').where('id', '=', 'p').executeTakeFirstOrThrow()).name;

  it("holds Kysely's lock: a query through Kysely waits until the transaction ends", async () => {
    let seen: Promise<string> | undefined;
    await store.transaction(async (tx) => {
      await tx.updateTable('projects').set({ name: 'renamed' }).where('id', '=', 'p').execute();
      seen = projectName();
      // Long enough for the outside query to run now if nothing made it wait.
      await new Promise((resolve) => setTimeout(resolve, 20));
      await tx.updateTable('projects').set({ name: 'final' }).where('id', '=', 'p').execute();
    });
    expect(await seen).toBe('final');
  });

  it('rolls back everything when the body throws, and refuses its handle afterwards', async () => {
    let handle: Parameters<Parameters<Store['transaction']>[0]>[0] | undefined;
    await expect(
      store.transaction(async (tx) => {
        handle = tx;
        await tx.updateTable('projects').set({ name: 'renamed' }).where('id', '=', 'p').execute();
        throw new Error('body failed');
      }),
    ).rejects.toThrow('body failed');
    expect(await projectName()).toBe('p');
    await expect(handle!.selectFrom('projects').selectAll().execute()).rejects.toThrow(
      /used after its transaction ended/,
    );
  });
});
