import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { adminQuery, databaseUrl } from './postgres.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A migrated database that each test file copies (global setup makes it). */
    databaseTemplate: string;
    /** Prefix of every database this run makes, so teardown drops them all. */
    databasePrefix: string;
  }
}

let perFile: Promise<string> | undefined;

/**
 * A migrated database of this test file's own (a copy of the template), so files run in parallel and
 * one file's recovery pass never sees another's answers. Dropped by global teardown.
 */
export function testDatabaseUrl(): Promise<string> {
  perFile ??= newMigratedDatabase();
  return perFile;
}

/** A fresh migrated database, for a test that needs one to itself. */
async function newMigratedDatabase(): Promise<string> {
  const name = newDatabaseName();
  await adminQuery(`CREATE DATABASE "${name}" TEMPLATE "${inject('databaseTemplate')}"`);
  return databaseUrl(name);
}

/** A fresh empty database (no migrations), for the migration tests. */
export async function newEmptyDatabase(): Promise<string> {
  const name = newDatabaseName();
  await adminQuery(`CREATE DATABASE "${name}"`);
  return databaseUrl(name);
}

function newDatabaseName(): string {
  return `${inject('databasePrefix')}${randomUUID().replaceAll('-', '')}`;
}
