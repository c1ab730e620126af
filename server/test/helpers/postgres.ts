import pg from 'pg';

const testPostgresUrl = process.env.SPOOL_TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

/** The URL of `database` on the test PostgreSQL server. */
export function databaseUrl(database: string): string {
  const url = new URL(testPostgresUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** Runs `use` with a client on the server's maintenance database. */
export async function withAdminClient<T>(use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: testPostgresUrl });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`tests need PostgreSQL at ${testPostgresUrl} (set SPOOL_TEST_DATABASE_URL): ${String(error)}`);
  }
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

/** Runs one statement on the maintenance database. */
export async function adminQuery(statement: string): Promise<void> {
  await withAdminClient((client) => client.query(statement));
}
