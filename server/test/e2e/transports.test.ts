import { describe, expect, it } from 'vitest';
import { demoTokens } from '../../src/generation/demo-provider.ts';
import { connect, range, textOf, watch } from '../helpers/clients.ts';
import { uniquePrefix } from '../helpers/redis.ts';
import { startTestServer } from '../helpers/server.ts';

describe.each([
  { store: 'in-process', redisPrefix: undefined },
  { store: 'Redis', redisPrefix: uniquePrefix() },
])('one answer over both transports ($store store)', ({ redisPrefix }) => {
  it('gives WebSocket and SSE watchers the same events, ending with exactly one terminal event', async () => {
    const server = await startTestServer({ redisPrefix, demoTokens: 30, demoTokensPerSecond: 300 });
    const ws = connect(server.url, 'ws');
    const sse = connect(server.url, 'sse');
    const sent = await ws.sendMessage.mutate({ content: 'hello over both' });

    const [overWs, overSse] = await Promise.all([
      watch(ws, { streamId: sent.streamId }),
      watch(sse, { streamId: sent.streamId }),
    ]);

    expect(overSse).toEqual(overWs);
    expect(overWs.map((event) => event.index)).toEqual(range(0, 31));
    expect(overWs[0]).toMatchObject({
      type: 'start',
      streamId: sent.streamId,
      conversationId: sent.conversationId,
      messageId: sent.assistantMessageId,
    });
    expect(overWs.filter((event) => event.type === 'done' || event.type === 'error')).toHaveLength(1);
    expect(overWs.at(-1)).toMatchObject({ type: 'done', finishReason: 'stop' });
    const text = textOf(overWs);
    expect(text).toBe(demoTokens('hello over both', 30).join(''));
  });

  it('returns from sendMessage before the answer is generated', async () => {
    const server = await startTestServer({ redisPrefix, demoTokens: 50, demoTokensPerSecond: 20 });
    const client = connect(server.url, 'sse');
    const sent = await client.sendMessage.mutate({ content: 'quick return' });
    const meta = await server.services.store.meta(sent.streamId);
    expect(meta?.status).toBe('running');
    expect(meta?.length).toBeLessThan(5);
    await client.cancelStream.mutate({ streamId: sent.streamId });
  });
});
