import { describe, expect, it, vi } from 'vitest';
import { streamKeys } from '../../src/store/redis-keys.ts';
import { connect, lastSaved, range, textOf, watch } from '../helpers/clients.ts';
import { testDatabaseUrl } from '../helpers/database.ts';
import { observeRedis, uniquePrefix } from '../helpers/redis.ts';
import { startTestServer } from '../helpers/server.ts';
import { startTcpProxy } from '../helpers/tcp-proxy.ts';

/** This file's database, reached through a proxy the test can cut. */
async function proxiedDatabase() {
  const url = new URL(await testDatabaseUrl());
  const proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
  url.port = String(proxy.port);
  return { proxy, url: url.toString() };
}

describe('PostgreSQL cut off mid-answer', () => {
  it('keeps clients streaming, then saves the answer once and ends the stream when it is back', async () => {
    const { proxy, url } = await proxiedDatabase();
    const prefix = uniquePrefix();
    const server = await startTestServer({
      redisPrefix: prefix,
      database: { url },
      demoTokens: 40,
      demoTokensPerSecond: 200,
      finalRetryMaxMs: 100,
    });
    const client = connect(server.url, 'ws');
    const sent = await client.sendMessage.mutate({ content: 'while the database is away' });

    const events: number[] = [];
    const tokensIn = Promise.withResolvers<void>();
    const watching = watch(
      client,
      { streamId: sent.streamId },
      {
        onEvent: (event) => {
          events.push(event.index);
          if (event.index === 5) proxy.cut();
          if (event.index === 40) tokensIn.resolve();
        },
      },
    );
    await tokensIn.promise;
    // Every token arrived; the answer is finished (its final event waits beside the log) but cannot be
    // saved, so the stream does not end.
    const redis = await observeRedis(prefix);
    await finalEventKept(redis, prefix, sent.streamId);
    expect((await server.services.store.meta(sent.streamId))?.status).toBe('running');

    proxy.restore();
    const all = await watching;
    expect(all.at(-1)).toMatchObject({ type: 'done', index: 41 });
    expect(events).toEqual(range(0, 41));
    const { items } = await client.listMessages.query({ conversationId: sent.conversationId });
    expect(items.map((message) => [message.role, message.status])).toEqual([
      ['assistant', 'complete'],
      ['user', 'complete'],
    ]);
    expect(items[0]?.content.length).toBeGreaterThan(0);
  });

  it('loses nothing when the server stops before it is back: the next one to start saves the answer and ends the stream', async () => {
    const { proxy, url } = await proxiedDatabase();
    const prefix = uniquePrefix();
    const options = {
      redisPrefix: prefix,
      database: { url },
      demoTokens: 10,
      demoTokensPerSecond: 50,
      finalRetryMaxMs: 100,
    };
    const first = await startTestServer(options);
    const client = connect(first.url, 'ws');
    const sent = await client.sendMessage.mutate({ content: 'finish me later' });
    proxy.cut();
    const redis = await observeRedis(prefix);
    await finalEventKept(redis, prefix, sent.streamId);
    const seen = await watch(client, { streamId: sent.streamId }, { leaveAfterIndex: 10 });
    const streamed = textOf(seen);
    await first.close();
    // Stopped without its terminal event: that waits for the answer to be saved.
    expect(await redis.redis.llen(streamKeys(prefix, sent.streamId).log)).toBe(11);

    proxy.restore();
    const second = await startTestServer(options);
    const watcher = connect(second.url, 'sse');
    const rest = await watch(watcher, { streamId: sent.streamId, lastEventId: '10' });
    expect(rest).toEqual([expect.objectContaining({ type: 'done', index: 11, finishReason: 'stop' })]);
    expect(seen.map((event) => event.index)).toEqual(range(0, 10));
    // Recovery appends a kept terminal event before it saves the answer (its one exception to "saved,
    // then ended"), so the save may land just after `done`.
    await vi.waitFor(async () =>
      expect(await lastSaved(watcher, sent.conversationId)).toMatchObject({
        status: 'complete',
        finishReason: 'stop',
        content: streamed,
      }),
    );
  });
});

/** Waits until the generator has kept its terminal event beside the log: the answer is finished, not yet saved. */
async function finalEventKept(redis: Awaited<ReturnType<typeof observeRedis>>, prefix: string, streamId: string) {
  await vi.waitFor(async () => expect(await redis.redis.hexists(streamKeys(prefix, streamId).meta, 'final')).toBe(1));
}
