import { describe, expect, it, onTestFinished } from 'vitest';
import { type DatabaseOptions, inMemoryDataDir, openDatabase } from '../../src/db/database.ts';
import { newEmptyDatabase } from '../helpers/database.ts';
import { testLog } from '../helpers/redis.ts';

async function open(options: Pick<DatabaseOptions, 'url' | 'dataDir' | 'migrate'>) {
  const db = await openDatabase({ ...options, poolSize: 1, log: testLog });
  onTestFinished(() => db.close());
  return db;
}

const engines = {
  PostgreSQL: async () => ({ url: await newEmptyDatabase(), dataDir: '' }),
  PGlite: async () => ({ url: undefined, dataDir: inMemoryDataDir }),
};

describe.each(Object.entries(engines))('migrations on %s', (_engine, emptyDatabase) => {
  it('apply from empty, leaving nothing pending', async () => {
    const db = await open({ ...(await emptyDatabase()), migrate: false });
    expect((await db.orm.migrator.getPending()).length).toBeGreaterThan(0);
    await db.orm.migrator.up();
    expect(await db.orm.migrator.getPending()).toEqual([]);
    expect((await db.orm.migrator.getExecuted()).length).toBeGreaterThan(0);
  });

  it('agree with the entities: the migrator finds no difference', async () => {
    const db = await open({ ...(await emptyDatabase()), migrate: true });
    expect(await db.orm.migrator.checkSchema()).toBe(false);
  });

  it('are what the schema check compares against: an unmigrated database differs', async () => {
    const db = await open({ ...(await emptyDatabase()), migrate: false });
    expect(await db.orm.migrator.checkSchema()).toBe(true);
  });
});
