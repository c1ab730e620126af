import type { AddressInfo } from 'node:net';
import { initTRPC, TRPCError } from '@trpc/server';
import { createHTTPServer } from '@trpc/server/adapters/standalone';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import pg from 'pg';
import superjson from 'superjson';
import { describe, expect, expectTypeOf, it, onTestFinished } from 'vitest';
import { WebSocketServer } from 'ws';
import { createSpoolClient } from '../../../client-sdk/src/client.ts';
import {
  loadConfig,
  mountSpool,
  openSpoolServices,
  type SpoolServices,
  spoolErrorData,
  spoolSseOptions,
} from '../../src/index.ts';
import { newEmptyDatabase, testDatabaseUrl } from '../helpers/database.ts';
import { testLog } from '../helpers/redis.ts';

/** An app's own context: its user (or none), its tenant, and Spool's WebSocket parts where it has a socket. */
interface HostContext {
  userId: string | null;
  tenant: string;
}

/**
 * The app as its developers would write it: their own `t` with superjson and an error formatter of
 * their own (which adds Spool's part), their procedures, Spool under `spool`, HTTP + SSE and
 * WebSocket on one port. Its "sign-in" is a token that is the user's name; no token, no user.
 */
async function hostApp(services: SpoolServices) {
  const t = initTRPC.context<HostContext>().create({
    transformer: superjson,
    sse: spoolSseOptions,
    errorFormatter: ({ shape, error }) => ({
      ...shape,
      data: { ...shape.data, host: 'acme', ...spoolErrorData(error) },
    }),
  });
  const appRouter = t.router({
    whoami: t.procedure.query(({ ctx }) => ({ user: ctx.userId, at: new Date(0) })),
    spool: mountSpool(t, services),
  });
  const userOf = (info: { connectionParams: Record<string, string | undefined> | null }, authorization?: string) =>
    info.connectionParams?.token ?? authorization?.replace('Bearer ', '') ?? null;
  const server = createHTTPServer({
    router: appRouter,
    basePath: '/api/',
    createContext: ({ req, info }) => ({ userId: userOf(info, req.headers.authorization), tenant: 'acme' }),
  });
  const wss = new WebSocketServer({ server, path: '/api' });
  const ws = applyWSSHandler({
    wss,
    router: appRouter,
    createContext: ({ info, res }) => ({ userId: userOf(info), tenant: 'acme', ...services.webSocketContext(res) }),
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  onTestFinished(async () => {
    ws.broadcastReconnectNotification();
    for (const client of wss.clients) client.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { t, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api` };
}

async function services(env: Record<string, string> = {}) {
  const config = loadConfig({ DATABASE_URL: await testDatabaseUrl(), SPOOL_DEMO_TOKENS: '5', ...env });
  const opened = await openSpoolServices(config, { log: testLog });
  onTestFinished(() => opened.close());
  return opened;
}

describe('an app that mounts Spool in its own tRPC router', () => {
  it.each(['ws', 'sse'] as const)(
    'streams answers with its superjson and error formatter, under `spool.` (%s)',
    async (transport) => {
      const app = await hostApp(await services());
      const spool = createSpoolClient({ url: app.url, path: 'spool', transformer: superjson, transport, token: 'ada' });
      onTestFinished(() => spool.close());

      const reply = spool.chat('mounted');
      let text = '';
      for await (const delta of reply) text += delta;
      const result = await reply;
      expect(result.content).toBe(text);
      expect(text.length).toBeGreaterThan(0);
      const history = await spool.trpc.listMessages.query({ conversationId: result.conversationId });
      expect(history.items.map((message) => message.role)).toEqual(['assistant', 'user']);
      // The app's formatter ran, and it carries Spool's code: the SDK's typed errors work as on Spool's own server.
      await expect(spool.cancel(result.streamId)).rejects.toMatchObject({ code: 'STREAM_ENDED', retryable: false });
    },
  );

  it('refuses a caller the app did not authenticate with UNAUTHORIZED, before any query', async () => {
    const app = await hostApp(await services());
    const anonymous = createSpoolClient({ url: app.url, path: 'spool', transformer: superjson });
    onTestFinished(() => anonymous.close());
    await expect(anonymous.sendMessage({ content: 'who am I' })).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
      retryable: false,
    });
    await expect(anonymous.trpc.listConversations.query({})).rejects.toMatchObject({
      data: { code: 'UNAUTHORIZED', spoolCode: 'UNAUTHENTICATED', host: 'acme' },
    });
  });

  it("works with a formatter that leaves Spool's codes out: tRPC's codes stand in, and mounting warns", async () => {
    const opened = await services();
    const warnings: string[] = [];
    const log = { ...testLog, warn: (message: string) => warnings.push(message) } as unknown as typeof opened.log;
    const t = initTRPC.context<HostContext>().create({ sse: spoolSseOptions });
    const router = t.router({ spool: mountSpool(t, { ...opened, log }) });
    expect(warnings).toEqual([expect.stringContaining('spoolErrorData')]);
    const server = createHTTPServer({ router, createContext: () => ({ userId: null, tenant: 'acme' }) });
    server.listen(0, '127.0.0.1');
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
    await new Promise((resolve) => server.once('listening', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const spool = createSpoolClient({ url, path: 'spool', transport: 'sse' });
    onTestFinished(() => spool.close());
    await expect(spool.sendMessage({ content: 'who am I' })).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
      retryable: false,
    });
  });

  it('needs a context that says who is calling: a type error without `userId`', () => {
    const withoutUser = initTRPC.context<{ tenant: string }>().create();
    const withUser = initTRPC.context<HostContext>().create();
    expectTypeOf(mountSpool).toBeCallableWith(withUser, {} as SpoolServices);
    // @ts-expect-error the app's context has no `userId`
    expectTypeOf(mountSpool).toBeCallableWith(withoutUser, {} as SpoolServices);
  });

  it('keeps its tables in a schema of their own, beside an app table of the same name', async () => {
    const url = await newEmptyDatabase();
    const app = new pg.Client({ connectionString: url });
    await app.connect();
    onTestFinished(() => app.end());
    await app.query(
      `create table message (id serial primary key, body text); insert into message (body) values ('the app''s')`,
    );

    const opened = await services({ DATABASE_URL: url, SPOOL_DB_SCHEMA: 'spool' });
    const host = await hostApp(opened);
    const spool = createSpoolClient({ url: host.url, path: 'spool', transformer: superjson, token: 'ada' });
    onTestFinished(() => spool.close());
    const result = await spool.chat('in my own schema');

    const spoolRows = await app.query('select content from spool.message where stream_id = $1', [result.streamId]);
    expect(spoolRows.rows).toEqual([{ content: result.content }]);
    expect((await app.query('select body from public.message')).rows).toEqual([{ body: "the app's" }]);
    const tables = await app.query(
      `select table_name from information_schema.tables where table_schema = 'spool' order by 1`,
    );
    expect(tables.rows.map((row) => row.table_name)).toEqual(['conversation', 'message', 'mikro_orm_migrations']);
  });

  it('refuses a call without a user with UNAUTHORIZED, never a database error', async () => {
    const opened = await services();
    const caller = opened.router.createCaller({ userId: undefined });
    await expect(caller.listConversations({})).rejects.toBeInstanceOf(TRPCError);
    await expect(caller.listConversations({})).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });
});
