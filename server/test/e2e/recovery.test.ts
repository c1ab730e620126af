import { v7 as uuidv7 } from 'uuid';
import { describe, expect, it, vi } from 'vitest';
import { saveExchange } from '../../src/db/exchanges.ts';
import { connect, lastSaved, watch } from '../helpers/clients.ts';
import { uniquePrefix } from '../helpers/redis.ts';
import { startTestServer } from '../helpers/server.ts';

describe('an answer whose generator died mid-answer', () => {
  it('is saved as failed with its partial text once the lease lapses, and its stream ends', async () => {
    const server = await startTestServer({ redisPrefix: uniquePrefix(), leaseMs: 500 });
    const { store, db } = server.services;
    // What a generator on an instance that then crashed left behind: the exchange, a few tokens, no end.
    const ids = { conversationId: uuidv7(), userMessageId: uuidv7(), assistantMessageId: uuidv7(), streamId: uuidv7() };
    await store.create(ids.streamId, { ownerId: 'local', leaseMs: 500 });
    await saveExchange(db.em(), {
      ...ids,
      ownerId: 'local',
      existingConversation: false,
      content: 'a doomed question',
      clientMessageId: undefined,
      model: 'spool-demo',
    });
    const { conversationId, assistantMessageId: messageId, streamId } = ids;
    await store.append(streamId, { type: 'start', streamId, conversationId, messageId, model: 'spool-demo' });
    await store.append(streamId, { type: 'token', text: 'half an ' });
    await store.append(streamId, { type: 'token', text: 'answer' });

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
