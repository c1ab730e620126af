import type { StreamEvent } from '@spool/shared';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { connect, lastSaved, range, textOf, watch } from '../helpers/clients.ts';
import { startOwnRedis } from '../helpers/own-redis.ts';
import { uniquePrefix } from '../helpers/redis.ts';
import { startTestServer } from '../helpers/server.ts';

describe('Redis restarted empty mid-answer', () => {
  it.each(['ws', 'sse'] as const)(
    'loses no text: each answer is saved with what it streamed, and a reader resuming where it stopped gets the rest and a truthful end (%s)',
    async (transport) => {
      const redis = await startOwnRedis();
      const server = await startTestServer({
        redisUrl: redis.url,
        redisPrefix: uniquePrefix(),
        demoTokens: 400,
        demoTokensPerSecond: 50,
      });
      const client = connect(server.url, 'ws');
      const answers = await Promise.all(range(1, 10).map((n) => client.sendMessage.mutate({ content: `answer ${n}` })));
      const leaving = new AbortController();
      onTestFinished(() => leaving.abort());
      const seen = answers.map(({ streamId }) => {
        const events: StreamEvent[] = [];
        // The live watchers only record what they were shown; how they end is the resumers' part below.
        watch(client, { streamId }, { signal: leaving.signal, onEvent: (event) => events.push(event) }).catch(
          (error: unknown) => error,
        );
        return events;
      });
      await vi.waitFor(() => expect(Math.min(...seen.map((events) => events.length))).toBeGreaterThan(10), {
        timeout: 10_000,
      });

      await redis.stop();
      await redis.start();

      const saved = await vi.waitFor(
        async () => {
          const rows = await Promise.all(answers.map((answer) => lastSaved(client, answer.conversationId)));
          for (const row of rows) expect(row?.status).toBe('failed');
          return rows;
        },
        { timeout: 20_000, interval: 250 },
      );
      leaving.abort();
      const reader = connect(server.url, transport);
      for (const [i, answer] of answers.entries()) {
        const row = saved[i];
        // A live watcher may have reached the end already (replayed from the saved answer): resume before it.
        const shown = (seen[i] ?? []).filter((event) => event.type !== 'error' && event.type !== 'done');
        // Every token a user was shown is in the saved answer, which is never empty.
        expect(row?.content.startsWith(textOf(shown))).toBe(true);
        expect(row?.content.length).toBeGreaterThan(0);
        expect(['STREAM_LOST', 'STORE_UNAVAILABLE']).toContain(row?.errorCode);
        const rest = await watch(reader, { streamId: answer.streamId, fromIndex: shown.length });
        expect(rest[0]?.index).toBe(shown.length);
        expect(textOf(shown) + textOf(rest)).toBe(row?.content);
        expect(rest.at(-1)).toMatchObject({ type: 'error', code: row?.errorCode });
      }
    },
    60_000,
  );
});
