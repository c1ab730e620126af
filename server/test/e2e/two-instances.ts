import { describe, expect, it, vi } from 'vitest';
import type { RedisTarget } from '../../src/store/redis-connection.ts';
import { connect, range, watch } from '../helpers/clients.ts';
import { startTwoServers } from '../helpers/server.ts';

/** Two instances of one deployment, on the shared Redis or on `redis()` (a cluster): what one starts, the other serves. */
export function describeTwoInstances(name: string, redis: () => RedisTarget | undefined): void {
  describe(`two server instances sharing ${name}`, () => {
    it('streams an answer started on A to a watcher on B, who drops and resumes on A', async () => {
      const { a, b } = await startTwoServers({ redis: redis(), demoTokens: 60, demoTokensPerSecond: 200 });
      const onA = connect(a.url, 'ws');
      const onB = connect(b.url, 'sse');
      const sent = await onA.sendMessage.mutate({ content: 'across instances' });

      const fromB = await watch(onB, { streamId: sent.streamId }, { leaveAfterIndex: 10 });
      const last = fromB.at(-1)?.index ?? -1;
      const fromA = await watch(onA, { streamId: sent.streamId, lastEventId: String(last) });

      expect([...fromB, ...fromA].map((event) => event.index)).toEqual(range(0, 61));
      expect(fromA.at(-1)?.type).toBe('done');
      // The generator's own bookkeeping ends once its append of `done` is answered, which may be just
      // after a watcher has the event.
      await vi.waitFor(() => expect(a.services.generations.size).toBe(0));
    });

    it('cancels on B a generation running on A', async () => {
      const { a, b } = await startTwoServers({ redis: redis(), demoTokens: 1_000, demoTokensPerSecond: 100 });
      const onA = connect(a.url, 'ws');
      const onB = connect(b.url, 'ws');
      const sent = await onA.sendMessage.mutate({ content: 'stop me' });
      const watching = watch(
        onA,
        { streamId: sent.streamId },
        {
          onEvent: (event) => {
            if (event.index === 3) onB.cancelStream.mutate({ streamId: sent.streamId });
          },
        },
      );
      const events = await watching;
      expect(events.at(-1)).toMatchObject({ type: 'done', finishReason: 'cancelled' });
      expect(events.length).toBeLessThan(100);
      expect(events.map((event) => event.index)).toEqual(range(0, events.length - 1));
      await expect(onB.cancelStream.mutate({ streamId: sent.streamId })).rejects.toMatchObject({
        data: { code: 'CONFLICT', spoolCode: 'STREAM_ENDED' },
      });
      await vi.waitFor(() => expect(a.services.generations.size).toBe(0));
    });
  });
}
