import { expect, it, onTestFinished, vi } from 'vitest';
import { connectRedis } from '../../src/store/redis-connection.ts';
import { SubscriberHub } from '../../src/store/subscriber-hub.ts';
import { testLog, testRedisUrl, uniquePrefix } from '../helpers/redis.ts';

async function setup() {
  const [subscriber, commands] = await Promise.all([
    connectRedis({ url: testRedisUrl }, 'subscriber', testLog),
    connectRedis({ url: testRedisUrl }, 'commands', testLog),
  ]);
  onTestFinished(() => {
    subscriber.disconnect();
    commands.disconnect();
  });
  const sent: Array<[string, number]> = [];
  for (const command of ['subscribe', 'unsubscribe'] as const) {
    const original = subscriber[command].bind(subscriber);
    vi.spyOn(subscriber, command).mockImplementation((...channels: unknown[]) => {
      sent.push([command, channels.length]);
      return (original as (...args: unknown[]) => Promise<unknown>)(...channels);
    });
  }
  const hub = new SubscriberHub(subscriber, testLog);
  const numsub = async (channel: string) => ((await commands.pubsub('NUMSUB', channel)) as [string, number])[1];
  return { hub, sent, numsub, commands };
}

const listener = { message: () => {}, resync: () => {} };

it('subscribes and unsubscribes the channels asked for in one turn with one command each', async () => {
  const { hub, sent, numsub } = await setup();
  const prefix = uniquePrefix();
  const channels = Array.from({ length: 200 }, (_, i) => `${prefix}:${i}`);
  const releases = await Promise.all(channels.map((channel) => hub.subscribe(channel, (raw) => raw, listener)));
  expect(sent).toEqual([['subscribe', 200]]);
  expect(await numsub(channels[199] as string)).toBe(1);
  for (const release of releases) release();
  await vi.waitFor(async () => expect(await numsub(channels[0] as string)).toBe(0));
  expect(sent).toEqual([
    ['subscribe', 200],
    ['unsubscribe', 200],
  ]);
});

it('keeps the order of a release and a new subscription of one channel in the same turn', async () => {
  const { hub, sent, numsub, commands } = await setup();
  const channel = `${uniquePrefix()}:reused`;
  const release = await hub.subscribe(channel, (raw) => raw, listener);
  const heard: string[] = [];
  release();
  const again = hub.subscribe(channel, (raw) => raw, { message: (value) => heard.push(value), resync: () => {} });
  await again;
  expect(sent.map(([command]) => command)).toEqual(['subscribe', 'unsubscribe', 'subscribe']);
  expect(await numsub(channel)).toBe(1);
  await commands.publish(channel, 'still heard');
  await vi.waitFor(() => expect(heard).toEqual(['still heard']));
});
