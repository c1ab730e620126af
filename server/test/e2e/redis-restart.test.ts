import { describe, expect, it, vi } from 'vitest';
import { connect, lastSaved, range, textOf, watch } from '../helpers/clients.ts';
import { startOwnRedis } from '../helpers/own-redis.ts';
import { uniquePrefix } from '../helpers/redis.ts';
import { startTestServer } from '../helpers/server.ts';

describe('Redis restarted empty mid-answer', () => {
  it.each(['ws', 'sse'] as const)(
    'loses nothing: every answer completes with its exact text, each reader gets every event once (%s)',
    async (transport) => {
      const redis = await startOwnRedis();
      const server = await startTestServer({
        redis: { url: redis.url },
        redisPrefix: uniquePrefix(),
        demoTokens: 150,
        demoTokensPerSecond: 50,
        maxStreamsPerUser: 50,
      });
      const client = connect(server.url, transport);
      const answers = await Promise.all(range(1, 50).map((n) => client.sendMessage.mutate({ content: `answer ${n}` })));
      const seen = answers.map(() => ({ events: 0 }));
      const reading = answers.map(({ streamId }, i) =>
        watch(client, { streamId }, { onEvent: () => seen[i] && seen[i].events++ }),
      );
      await vi.waitFor(() => expect(Math.min(...seen.map((each) => each.events))).toBeGreaterThan(10), {
        timeout: 10_000,
      });

      await redis.stop();
      await redis.start();

      const read = await Promise.all(reading);
      for (const [i, events] of read.entries()) {
        expect(events.map((event) => event.index)).toEqual(range(0, events.length - 1));
        expect(events.at(-1)).toMatchObject({ type: 'done', finishReason: 'stop' });
        expect(events.filter((event) => event.type === 'token')).toHaveLength(150);
        const answer = answers[i];
        const saved = answer && (await lastSaved(client, answer.conversationId));
        expect(saved).toMatchObject({ status: 'complete', content: textOf(events) });
      }
    },
    60_000,
  );
});
