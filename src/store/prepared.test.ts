import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Db, openSqliteDb } from './db.js';
import { PreparedQueries } from './prepared.js';
import { Store } from './store.js';

describe('PreparedQueries', () => {
  let db: Db;
  beforeEach(async () => {
    db = await openSqliteDb(':memory:');
    for (const [id, name] of [
      ['p1', 'one'],
      ['p2', 'two'],
      ['p3', 'three'],
    ] as const) {
      await db
        .insertInto('projects')
        .values({ id, name, workspacePath: `/w/${id}`, createdAt: 'now' })
        .execute();
    }
  });
  afterEach(() => db.destroy());

  it('compiles once per shape and runs with each call’s values, keeping the builder’s constants', async () => {
    const prepared = new PreparedQueries(db);
    let builds = 0;
    const byIdExcept = (id: string, name: string) =>
      prepared
        .get('byIdExcept', (kdb, slot) => {
          builds++;
          return kdb
            .selectFrom('projects')
            .select(['id', 'workspacePath'])
            .where('id', '=', slot('id'))
            .where('name', '!=', slot('name'))
            .where('createdAt', '=', 'now');
        })
        .execute(db, { id, name });

    expect((await byIdExcept('p1', 'x')).rows).toEqual([{ id: 'p1', workspacePath: '/w/p1' }]);
    expect((await byIdExcept('p2', 'x')).rows).toEqual([{ id: 'p2', workspacePath: '/w/p2' }]);
    expect((await byIdExcept('p2', 'two')).rows).toEqual([]);
    expect(builds).toBe(1);
  });

  it('refuses to run without a value for a slot rather than binding NULL', async () => {
    const prepared = new PreparedQueries(db);
    const query = prepared.get('byId', (kdb, slot) =>
      kdb.selectFrom('projects').selectAll().where('id', '=', slot('id')),
    );
    expect(() => query.execute(db, {})).toThrow(/no value for id/);
  });

  it('never lets a read outside a transaction see what an open transaction has not committed', async () => {
    const store = new Store(db);
    await store.insertRun(db, {
      id: 'run',
      projectId: 'p1',
      template: 'prototype',
      status: 'running',
      requirement: 'r',
      options: { gatePolicies: {}, maxFixRounds: 2 },
      error: null,
      createdAt: 'now',
      updatedAt: 'now',
    });
    await store.insertSteps(db, 'run', [
      { key: 'a', kind: 'tool', role: 'coding', tool: 't', dependsOn: [], maxAttempts: 1 },
    ]);
    let outside: Promise<string | undefined> | undefined;
    const writing = store.transaction(async (tx) => {
      await store.updateStep(tx, 'run', 'a', { status: 'ready' });
      outside = store.getStep('run', 'a').then((step) => step?.status);
      // Give the outside read every chance to run while this transaction is open, then roll back.
      await new Promise((resolve) => setTimeout(resolve, 20));
      throw new Error('roll back');
    });
    await expect(writing).rejects.toThrow('roll back');
    expect(await outside).toBe('pending');
  });
});
