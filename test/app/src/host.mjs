// An app with its own tRPC (superjson, its own error formatter) that mounts Spool under `spool`, in
// its own PostgreSQL schema, migrated from the installed package. Prints its URL, stops on SIGTERM.

import { loadConfig, mountSpool, openSpoolServices, spoolErrorData, spoolSseOptions } from '@spool/server';
import { initTRPC } from '@trpc/server';
import { createHTTPServer } from '@trpc/server/adapters/standalone';
import superjson from 'superjson';

const t = initTRPC.context().create({
  transformer: superjson,
  sse: spoolSseOptions,
  errorFormatter: ({ shape, error }) => ({ ...shape, data: { ...shape.data, app: 'host', ...spoolErrorData(error) } }),
});
const services = await openSpoolServices(
  loadConfig({
    DATABASE_URL: process.env.DATABASE_URL,
    SPOOL_DB_SCHEMA: 'spool',
    SPOOL_DEMO_TOKENS: '5',
    LOG_LEVEL: 'warn',
  }),
);
const router = t.router({ hello: t.procedure.query(() => new Date(0)), spool: mountSpool(t, services) });
const server = createHTTPServer({ router, basePath: '/api/', createContext: () => ({ userId: 'ada' }) });
server.listen(0, '127.0.0.1', () =>
  console.log(JSON.stringify({ url: `http://127.0.0.1:${server.address().port}/api` })),
);
process.once('SIGTERM', () => {
  server.close();
  services.close().then(() => process.exit(0));
});
