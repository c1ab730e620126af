import { randomUUID } from 'node:crypto';
import { limits } from '@spool/shared';
import { describe, expect, it } from 'vitest';
import { connect, watch } from '../helpers/clients.ts';
import { uniquePrefix } from '../helpers/redis.ts';
import { startTestServer } from '../helpers/server.ts';

describe.each(['ws', 'sse'] as const)('bad input over %s gets a typed error and the server goes on', (transport) => {
  it('answers each bad request with its own typed error, then serves a good one', async () => {
    const server = await startTestServer({ redisPrefix: uniquePrefix(), demoTokens: 5 });
    const client = connect(server.url, transport);
    const finished = await client.sendMessage.mutate({ content: 'done soon' });
    await watch(client, { streamId: finished.streamId });
    const unknown = randomUUID();

    const cases: [string, () => Promise<unknown>, { code: string; spoolCode: string }][] = [
      ['empty content', () => client.sendMessage.mutate({ content: '   ' }), badRequest],
      [
        'oversized content',
        () => client.sendMessage.mutate({ content: 'x'.repeat(limits.maxContentChars + 1) }),
        badRequest,
      ],
      ['unknown model', () => client.sendMessage.mutate({ content: 'hi', model: 'gpt-nope' }), badRequest],
      [
        'a NUL character in a model name',
        () => client.sendMessage.mutate({ content: 'hi', model: 'a\u0000b' }),
        badRequest,
      ],
      [
        'malformed conversation id',
        () => client.sendMessage.mutate({ content: 'hi', conversationId: 'nope' }),
        badRequest,
      ],
      // biome-ignore lint/suspicious/noExplicitAny: a client that ignores the types
      ['malformed input', () => client.sendMessage.mutate({ text: 'hi' } as any), badRequest],
      ['malformed stream id', () => watch(client, { streamId: 'not-a-uuid' }), badRequest],
      ['negative fromIndex', () => watch(client, { streamId: finished.streamId, fromIndex: -1 }), badRequest],
      ['fractional fromIndex', () => watch(client, { streamId: finished.streamId, fromIndex: 1.5 }), badRequest],
      ['malformed lastEventId', () => watch(client, { streamId: finished.streamId, lastEventId: 'x' }), badRequest],
      ['fromIndex past the end', () => watch(client, { streamId: finished.streamId, fromIndex: 7 }), outOfRange],
      ['unknown stream', () => watch(client, { streamId: unknown }), notFound],
      ['cancel of an unknown stream', () => client.cancelStream.mutate({ streamId: unknown }), notFound],
      ['cancel of a finished stream', () => client.cancelStream.mutate({ streamId: finished.streamId }), ended],
      [
        'a message to an unknown conversation',
        () => client.sendMessage.mutate({ content: 'hi', conversationId: unknown }),
        noConversation,
      ],
      [
        'messages of an unknown conversation',
        () => client.listMessages.query({ conversationId: unknown }),
        noConversation,
      ],
      ['a malformed cursor', () => client.listConversations.query({ cursor: 'page-2' }), badRequest],
      [
        'a malformed cursor for messages',
        () => client.listMessages.query({ conversationId: finished.conversationId, cursor: '42' }),
        badRequest,
      ],
      ['a page size of 0', () => client.listConversations.query({ limit: 0 }), badRequest],
      [
        'a page size over the limit',
        () => client.listConversations.query({ limit: limits.maxPageSize + 1 }),
        badRequest,
      ],
      ['a fractional page size', () => client.listMessages.query({ conversationId: unknown, limit: 2.5 }), badRequest],
    ];
    for (const [name, call, expected] of cases) {
      await expect(call(), name).rejects.toMatchObject({ data: expected });
    }

    const again = await client.sendMessage.mutate({ content: 'still serving' });
    expect((await watch(client, { streamId: again.streamId })).at(-1)?.type).toBe('done');
  });

  it('refuses a request larger than the limit, then serves the next one', async () => {
    const server = await startTestServer({ demoTokens: 3 });
    const client = connect(server.url, transport);
    const huge = client.sendMessage.mutate({ content: 'x'.repeat(300_000) });
    if (transport === 'sse') {
      await expect(huge).rejects.toMatchObject({ data: { code: 'PAYLOAD_TOO_LARGE', spoolCode: 'INVALID_INPUT' } });
    } else {
      // The server cannot answer a WebSocket message it refused to read: it closes the socket, and
      // the client's request fails while the client reconnects.
      await expect(huge).rejects.toThrow();
    }
    const sent = await client.sendMessage.mutate({ content: 'next' });
    expect((await watch(client, { streamId: sent.streamId })).at(-1)?.type).toBe('done');
  });
});

const badRequest = { code: 'BAD_REQUEST', spoolCode: 'INVALID_INPUT' };
const outOfRange = { code: 'BAD_REQUEST', spoolCode: 'INDEX_OUT_OF_RANGE' };
const notFound = { code: 'NOT_FOUND', spoolCode: 'STREAM_NOT_FOUND' };
const ended = { code: 'CONFLICT', spoolCode: 'STREAM_ENDED' };
const noConversation = { code: 'NOT_FOUND', spoolCode: 'CONVERSATION_NOT_FOUND' };
