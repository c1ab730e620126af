import { readdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../src/db/database.ts';
import { createLogger } from '../src/logger.ts';

/**
 * `npm run migration:create [name]`: writes the migration that brings a database migrated up to
 * now to the entities' schema, and lists it in `migrations/index.ts`. Runs against an empty
 * in-memory PGlite, so no server is needed.
 */
const folder = fileURLToPath(new URL('../../migrations', import.meta.url));
const name = process.argv[2];
const db = await openDatabase({
  url: undefined,
  dataDir: 'memory://',
  migrate: true,
  poolSize: 1,
  log: createLogger('warn'),
});
try {
  const result = await db.orm.migrator.create(folder, false, false, name);
  if (result.diff.up.length === 0) process.stdout.write('the entities and the migrations agree; nothing to write\n');
  else {
    writeIndex();
    process.stdout.write(`wrote migrations/${result.fileName} and listed it in migrations/index.ts\n`);
  }
} finally {
  await db.close();
}

/** The index imports every migration file, oldest first (their names start with a timestamp). */
function writeIndex(): void {
  const names = readdirSync(folder)
    .filter((file) => /^Migration\d+.*\.ts$/.test(file))
    .map((file) => file.slice(0, -'.ts'.length))
    .sort();
  const lines = [
    "// Written by `npm run migration:create`: every migration, in order, imported so that the server's",
    '// build carries them (an installed package has no migrations folder to read).',
    ...names.map((migration) => `import { ${migration} } from './${migration}.ts';`),
    '',
    'export const migrationsList = [',
    ...names.map((migration) => `  { name: '${migration}', class: ${migration} },`),
    '];',
    '',
  ];
  writeFileSync(`${folder}/index.ts`, lines.join('\n'));
}
