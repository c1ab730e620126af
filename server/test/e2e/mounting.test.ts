import type { AddressInfo } from 'node:net';
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink } from '@trpc/client';
import { initTRPC } from '@trpc/server';
import { createHTTPServer } from '@trpc/server/adapters/standalone';
import { EventSource } from 'eventsource';
import { describe, expect, it, onTestFinished } from 'vitest';
import { loadConfig, openSpoolServices, spoolErrorFormatter } from '../../src/index.ts';
import { testDatabaseUrl } from '../helpers/database.ts';
import { testLog } from '../helpers/redis.ts';

describe('an app that mounts Spool in its own tRPC router', () => {
  it('serves its own procedures and Spool’s side by side', async () => {
    const config = loadConfig({ DATABASE_URL: await testDatabaseUrl(), SPOOL_DEMO_TOKENS: '5' });
    const services = await openSpoolServices(config, { log: testLog });
    onTestFinished(() => services.close());
    const spool = services.router;

    const t = initTRPC.context<{ userId: string; tenant: string }>().create({ errorFormatter: spoolErrorFormatter });
    const appRouter = t.router({
      whoami: t.procedure.query(({ ctx }) => `${ctx.tenant}/${ctx.userId}`),
      spool,
    });
    const server = createHTTPServer({ router: appRouter, createContext: () => ({ userId: 'ada', tenant: 'acme' }) });
    server.listen(0, '127.0.0.1');
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
    await new Promise((resolve) => server.once('listening', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const client = createTRPCClient<typeof appRouter>({
      links: [
        splitLink({
          condition: (op) => op.type === 'subscription',
          true: httpSubscriptionLink({ url, EventSource }),
          false: httpBatchLink({ url }),
        }),
      ],
    });
    expect(await client.whoami.query()).toBe('acme/ada');
    const sent = await client.spool.sendMessage.mutate({ content: 'mounted' });
    const types: string[] = [];
    for await (const { data } of client.spool.stream.subscribe({ streamId: sent.streamId })) {
      types.push(data.type);
      if (data.type === 'done') break;
    }
    expect(types).toEqual(['start', 'token', 'token', 'token', 'token', 'token', 'done']);
    expect((await services.store.meta(sent.streamId))?.ownerId).toBe('ada');
    await expect(client.spool.cancelStream.mutate({ streamId: sent.streamId })).rejects.toMatchObject({
      data: { code: 'CONFLICT', spoolCode: 'STREAM_ENDED' },
    });
  });
});
