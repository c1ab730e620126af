import { describe, expect, it } from 'vitest';
import { connect, range, watch } from '../helpers/clients.ts';
import { uniquePrefix } from '../helpers/redis.ts';
import { startTestServer } from '../helpers/server.ts';

const answer = { demoTokens: 40, demoTokensPerSecond: 200 };
const lastIndex = answer.demoTokens + 1;

describe.each(['ws', 'sse'] as const)('resuming over %s', (transport) => {
  it('resumes after a dropped connection without losing or repeating an event', async () => {
    const server = await startTestServer({ redisPrefix: uniquePrefix(), ...answer });
    const client = connect(server.url, transport);
    const sent = await client.sendMessage.mutate({ content: 'survive a drop' });
    let dropped = false;
    const events = await watch(
      client,
      { streamId: sent.streamId },
      {
        onEvent: (event) => {
          if (event.index === 5 && !dropped) {
            dropped = true;
            server.dropConnections();
          }
        },
      },
    );
    expect(dropped).toBe(true);
    expect(events.map((event) => event.index)).toEqual(range(0, lastIndex));
    expect(events.at(-1)?.type).toBe('done');
  });

  it('resumes from an explicit fromIndex or lastEventId after the subscriber went away', async () => {
    const server = await startTestServer({ redisPrefix: uniquePrefix(), ...answer });
    const client = connect(server.url, transport);
    const sent = await client.sendMessage.mutate({ content: 'come back later' });
    const first = await watch(client, { streamId: sent.streamId }, { leaveAfterIndex: 7 });
    expect(first.map((event) => event.index)).toEqual(range(0, 7));

    const [byIndex, byLastEventId] = await Promise.all([
      watch(client, { streamId: sent.streamId, fromIndex: 8 }),
      watch(client, { streamId: sent.streamId, lastEventId: '7' }),
    ]);
    expect(byIndex.map((event) => event.index)).toEqual(range(8, lastIndex));
    expect(byLastEventId).toEqual(byIndex);
  });

  it('replays a finished stream from any index, the last one included', async () => {
    const server = await startTestServer({ ...answer, demoTokensPerSecond: 0 });
    const client = connect(server.url, transport);
    const sent = await client.sendMessage.mutate({ content: 'finished' });
    const all = await watch(client, { streamId: sent.streamId });
    expect(await watch(client, { streamId: sent.streamId, fromIndex: 20 })).toEqual(all.slice(20));
    expect(await watch(client, { streamId: sent.streamId, fromIndex: lastIndex })).toEqual(all.slice(lastIndex));
  });
});
