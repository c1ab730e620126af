import type { StreamEvent } from '@spool/shared';
import pg from 'pg';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { createSpoolClient } from '../../../client-sdk/src/client.ts';
import { collect } from '../../../client-sdk/test/helpers/sdk.ts';
import { startBalancer } from '../helpers/balancer.ts';
import { connect, inTurn, watch } from '../helpers/clients.ts';
import { uniquePrefix } from '../helpers/redis.ts';
import { startTestServer } from '../helpers/server.ts';
import { sharedEnv, startSpoolProcess } from '../helpers/spool-process.ts';

/** Each answer: its start event, this many tokens at 10 a second, `done`. */
const tokens = 40;
/** Answers per wave: a quarter each over SDK WS, SDK SSE, vanilla tRPC WS, vanilla tRPC SSE. */
const perWave = 48;

describe('a rolling restart behind a balancer', () => {
  it('loses no answer: each instance drains on SIGTERM while SDK and vanilla clients, over WS and SSE, read on', async () => {
    const env = await sharedEnv({
      SPOOL_DEMO_TOKENS: String(tokens),
      SPOOL_DEMO_TOKENS_PER_SECOND: '10',
      SPOOL_DRAIN_MS: '30000',
    });
    const databaseUrl = env.DATABASE_URL ?? '';
    const [a, b] = await Promise.all([startSpoolProcess(env), startSpoolProcess(env)]);
    const balancer = await startBalancer([a.port, b.port]);
    const url = `http://127.0.0.1:${balancer.port}/trpc`;

    const sdk = (['ws', 'sse'] as const).map((transport) => createSpoolClient({ url, transport }));
    onTestFinished(() => {
      for (const client of sdk) client.close();
    });
    const vanilla = (['ws', 'sse'] as const).map((transport) => connect(url, transport));
    /** What each reader has read so far, by stream. */
    const read = new Map<string, StreamEvent[]>();
    const readers = [
      ...sdk.map((client) => async (streamId: string, events: StreamEvent[]) => {
        for await (const event of client.stream(streamId)) events.push(event);
      }),
      ...vanilla.map((client) => async (streamId: string, events: StreamEvent[]) => {
        await watch(client, { streamId }, { onEvent: (event) => events.push(event) });
      }),
    ];
    const wave = () =>
      Promise.all(
        Array.from({ length: perWave }, async (_, i) => {
          const { streamId } = await inTurn(sdk, i).sendMessage({ content: `question ${i}` });
          const events: StreamEvent[] = [];
          read.set(streamId, events);
          return { streamId, reading: inTurn(readers, i)(streamId, events) };
        }),
      );
    /** Waits until every answer of the wave has a few tokens out, and checks that none has ended. */
    const midAnswer = async (answers: { streamId: string }[]) => {
      const counts = () => answers.map(({ streamId }) => read.get(streamId)?.length ?? 0);
      await vi.waitFor(() => expect(Math.min(...counts())).toBeGreaterThan(3), { timeout: 10_000, interval: 20 });
      expect(Math.max(...counts())).toBeLessThan(tokens);
    };

    const first = await wave();
    await midAnswer(first);
    a.child.kill('SIGTERM');
    const c = await startSpoolProcess(env);
    balancer.backends = [b.port, c.port];
    const second = await wave();
    await midAnswer(second);
    b.child.kill('SIGTERM');
    balancer.backends = [c.port];

    const answers = [...first, ...second];
    await Promise.all(answers.map(({ reading }) => reading));
    expect(await a.exited).toBe(0);
    expect(await b.exited).toBe(0);

    const saved = await savedAnswers(
      databaseUrl,
      answers.map(({ streamId }) => streamId),
    );
    for (const { streamId } of answers) {
      const events = read.get(streamId) ?? [];
      // Every event once, in order, from the start event to `done`, and saved once, complete, as read.
      expect(events.map((event) => event.index)).toEqual(Array.from({ length: tokens + 2 }, (_, i) => i));
      expect(events.at(-1)).toMatchObject({ type: 'done', finishReason: 'stop' });
      const text = events.map((event) => (event.type === 'token' ? event.text : '')).join('');
      expect(saved.get(streamId)).toEqual([{ status: 'complete', content: text }]);
    }
  }, 90_000);

  it('the SDK sends a message refused by a draining instance again, and another instance starts it', async () => {
    const prefix = uniquePrefix();
    const options = { redisPrefix: prefix, demoTokens: 40, demoTokensPerSecond: 20, drainMs: 10_000 };
    const [x, y] = await Promise.all([startTestServer(options), startTestServer(options)]);
    const balancer = await startBalancer([x.port, y.port]);
    const sdk = createSpoolClient({ url: `http://127.0.0.1:${balancer.port}/trpc`, transport: 'ws' });
    onTestFinished(() => sdk.close());
    // The first connection goes to x; an answer there keeps x draining for a while.
    const first = await sdk.sendMessage({ content: 'a long one' });
    expect(x.services.generations.has(first.streamId)).toBe(true);
    const draining = x.close();

    const second = await sdk.sendMessage({ content: 'sent while x drains' });
    expect(y.services.generations.has(second.streamId)).toBe(true);
    for (const { streamId } of [first, second]) {
      expect((await collect(sdk.stream(streamId))).at(-1)).toMatchObject({ type: 'done' });
    }
    await draining;
  });
});

/** The saved rows of each stream's answer, straight from PostgreSQL. */
async function savedAnswers(databaseUrl: string, streamIds: string[]) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ stream_id: string; status: string; content: string }>(
      'SELECT stream_id, status, content FROM message WHERE stream_id = ANY($1::uuid[])',
      [streamIds],
    );
    const byStream = new Map<string, { status: string; content: string }[]>();
    for (const row of rows) {
      byStream.set(row.stream_id, [
        ...(byStream.get(row.stream_id) ?? []),
        { status: row.status, content: row.content },
      ]);
    }
    return byStream;
  } finally {
    await client.end();
  }
}
