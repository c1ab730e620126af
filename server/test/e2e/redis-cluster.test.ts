import type { StreamEvent } from '@spool/shared';
import type { Cluster } from 'ioredis';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { createSpoolClient } from '../../../client-sdk/src/client.ts';
import { collect } from '../../../client-sdk/test/helpers/sdk.ts';
import { connect, lastSaved, range, textOf, watch } from '../helpers/clients.ts';
import { observeRedis } from '../helpers/redis.ts';
import { useLocalRedisCluster } from '../helpers/redis-cluster.ts';
import { startTwoServers } from '../helpers/server.ts';
import { sharedEnv, startSpoolProcess } from '../helpers/spool-process.ts';
import { describeTwoInstances } from './two-instances.ts';

const local = useLocalRedisCluster();
const tokens = 250;

describeTwoInstances('a Redis Cluster', () => local.target);

/** How many slots `redis-cli --cluster reshard` moves from a master, lowest first, to move `slot` with them. */
function slotsUpTo(ranges: [number, number][], slot: number): number {
  return ranges.reduce((sum, [first, last]) => (first > slot ? sum : sum + Math.min(last, slot) - first + 1), 0);
}

/**
 * Answers started on A, each read on B over WebSocket and on A over SSE: started until every master
 * holds at least two of them, so that whatever happens to one master happens to some streams and not others.
 */
async function answersOnEveryMaster() {
  const { a, b, prefix } = await startTwoServers({
    redis: local.target,
    demoTokens: tokens,
    demoTokensPerSecond: 50,
    maxStreamsPerUser: 100,
  });
  const observer = (await observeRedis(prefix, local.target)).redis as Cluster;
  const onA = connect(a.url, 'sse');
  const onB = connect(b.url, 'ws');
  const streams: { conversationId: string; streamId: string; slot: number; master: string; seen: number }[] = [];
  const perMaster = () => local.cluster.nodes.map((node) => streams.filter((stream) => stream.master === node).length);
  while (Math.min(...perMaster()) < 2) {
    expect(streams.length, 'streams spread over every master').toBeLessThan(60);
    const sent = await onA.sendMessage.mutate({ content: `answer ${streams.length}` });
    const slot = Number(await observer.cluster('KEYSLOT', `{${sent.streamId}}`));
    streams.push({ ...sent, slot, master: await local.cluster.ownerOf(slot), seen: 0 });
  }
  const reading = streams.map((stream) =>
    Promise.all([onB, onA].map((client) => watch(client, stream, { onEvent: () => stream.seen++ }))),
  );
  await vi.waitFor(() => expect(Math.min(...streams.map((stream) => stream.seen))).toBeGreaterThan(10), {
    timeout: 10_000,
  });
  return {
    streams,
    /** Every reader of every answer got each event once, in order, to `done`; each answer was saved whole. */
    async allComplete() {
      const read = await Promise.all(reading);
      for (const [i, readers] of read.entries()) {
        for (const events of readers as StreamEvent[][]) {
          expect(events.map((event) => event.index)).toEqual(range(0, tokens + 1));
          expect(events.at(-1)).toMatchObject({ type: 'done', finishReason: 'stop' });
        }
        const saved = await lastSaved(onA, streams[i]?.conversationId ?? '');
        expect(saved).toMatchObject({ status: 'complete', content: textOf(readers[0] ?? []) });
      }
    },
  };
}

describe('a Redis Cluster changing under live answers', () => {
  it("restarts a master mid-stream: the others' streams go on meanwhile, its own resync, nothing is lost", async () => {
    const flight = await answersOnEveryMaster();
    const victim = flight.streams[0]?.master ?? '';
    const others = flight.streams.filter((stream) => stream.master !== victim);

    await local.cluster.kill(victim);
    const atKill = others.map((stream) => stream.seen);
    await vi.waitFor(() => expect(others.every((stream, i) => stream.seen > (atKill[i] ?? 0) + 20)).toBe(true));
    await local.cluster.revive(victim);
    // Its streams' readers resync as soon as it is back, well before a quiet stream's re-read (10 s) would.
    const victims = flight.streams.filter((stream) => stream.master === victim);
    const atRevive = victims.map((stream) => stream.seen);
    await vi.waitFor(() => expect(victims.every((stream, i) => stream.seen > (atRevive[i] ?? 0))).toBe(true), {
      timeout: 3_000,
    });

    await flight.allComplete();
  }, 40_000);

  it("moves a live stream's slot to another master with redis-cli --cluster reshard: its readers follow it", async () => {
    const flight = await answersOnEveryMaster();
    // The stream whose slot redis-cli reaches first: the fewest slots to move.
    const candidates = await Promise.all(
      flight.streams.map(async (stream) => ({
        stream,
        count: slotsUpTo(await local.cluster.slotsOf(stream.master), stream.slot),
      })),
    );
    const { stream, count } = candidates.reduce((best, next) => (next.count < best.count ? next : best));
    const to = local.cluster.nodes.find((node) => node !== stream.master) ?? '';

    await local.cluster.reshard(stream.master, to, count);
    expect(await local.cluster.ownerOf(stream.slot)).toBe(to);
    const atMove = stream.seen;
    expect(atMove, 'the stream was still running when its slot had moved').toBeLessThan(2 * (tokens + 2));
    // Read on from its new master at once, not at the next slot map refresh (5 s) or quiet re-read (10 s).
    await vi.waitFor(() => expect(stream.seen).toBeGreaterThan(atMove + 10), { timeout: 2_000 });

    await flight.allComplete();
  }, 40_000);
});

describe('generation workers on a Redis Cluster', () => {
  it('queues answers from an API process to a worker through BullMQ, its keys in one slot', async () => {
    const { REDIS_URL: _, ...env } = await sharedEnv({
      REDIS_CLUSTER_NODES: local.cluster.nodes.join(','),
      SPOOL_DEMO_TOKENS: '30',
      SPOOL_DEMO_TOKENS_PER_SECOND: '100',
    });
    const [api] = await Promise.all([
      startSpoolProcess({ ...env, SPOOL_ROLE: 'api' }),
      startSpoolProcess({ ...env, SPOOL_ROLE: 'worker' }),
    ]);
    const client = createSpoolClient({ url: api.url, transport: 'ws' });
    onTestFinished(() => client.close());

    const read = await Promise.all(
      range(1, 6).map(async (n) => {
        const { streamId } = await client.sendMessage({ content: `queued ${n}` });
        return collect(client.stream(streamId));
      }),
    );
    for (const events of read) {
      expect(events.map((event) => event.index)).toEqual(range(0, 31));
      expect(events.at(-1)).toMatchObject({ type: 'done', finishReason: 'stop' });
    }
  }, 30_000);
});
