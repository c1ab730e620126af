import { describe, expect, it, vi } from 'vitest';
import { connect, lastSaved, watch } from '../helpers/clients.ts';
import { uniquePrefix } from '../helpers/redis.ts';
import { seedAnswer } from '../helpers/seed-answer.ts';
import { startTestServer } from '../helpers/server.ts';

describe('an answer whose generator died mid-answer', () => {
  it('is saved as failed with its partial text once the lease lapses, and its stream ends', async () => {
    const server = await startTestServer({ redisPrefix: uniquePrefix(), leaseMs: 500 });
    // What a generator on an instance that then crashed left behind: the exchange, a few tokens, no end.
    const { ids } = await seedAnswer(server.services, {
      ownerId: 'local',
      leaseMs: 500,
      question: 'a doomed question',
      model: 'spool-demo',
      tokens: ['half an ', 'answer'],
    });
    const { conversationId, streamId } = ids;

    expect(await server.services.recovery.runNow()).toBe(0); // the lease still holds
    await vi.waitFor(async () => expect(await server.services.recovery.runNow()).toBe(1), { timeout: 5_000 });

    const client = connect(server.url, 'ws');
    const answer = await lastSaved(client, conversationId);
    expect(answer).toMatchObject({ status: 'failed', errorCode: 'GENERATOR_LOST', content: 'half an answer' });
    const events = await watch(client, { streamId, fromIndex: 1 });
    expect(events.map((event) => event.type)).toEqual(['token', 'token', 'error']);
    expect(events.at(-1)).toMatchObject({ index: 3, code: 'GENERATOR_LOST', retryable: true });
  });
});
