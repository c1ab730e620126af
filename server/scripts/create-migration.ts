import { openDatabase } from '../src/db/database.ts';
import { createLogger } from '../src/logger.ts';

/**
 * `npm run migration:create [name]`: writes the migration that brings a database migrated up to
 * now to the entities' schema. Runs against an empty in-memory PGlite, so no server is needed.
 */
const name = process.argv[2];
const db = await openDatabase({
  url: undefined,
  dataDir: 'memory://',
  migrate: true,
  poolSize: 1,
  log: createLogger('warn'),
});
try {
  const result = await db.orm.migrator.create(undefined, false, false, name);
  if (result.diff.up.length === 0) process.stdout.write('the entities and the migrations agree; nothing to write\n');
  else process.stdout.write(`wrote migrations/${result.fileName}\n`);
} finally {
  await db.close();
}
