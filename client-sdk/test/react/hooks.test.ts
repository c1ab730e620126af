import { randomUUID } from 'node:crypto';
import './dom.ts';
import { MemoryStreamStore } from '@spool/server';
import { act, cleanup, renderHook, waitFor } from '@testing-library/react';
import { createElement, type ReactNode } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer } from '../../../server/test/helpers/server.ts';
import { startTcpProxy } from '../../../server/test/helpers/tcp-proxy.ts';
import type { SpoolClient } from '../../src/client.ts';
import { SpoolProvider, useChat, useSendMessage, useSpoolStream } from '../../src/react/index.ts';
import { rateLimitedModel } from '../helpers/models.ts';
import { fullText, spoolClient } from '../helpers/sdk.ts';

const answer = { demoTokens: 60, demoTokensPerSecond: 150 };

afterEach(() => {
  cleanup();
  sessionStorage.clear();
});

/** What useSpoolStream keeps of a stream in sessionStorage, if anything. */
function kept(streamId: string): { lastIndex: number; text: string } | undefined {
  const saved = sessionStorage.getItem(`spool:stream:${streamId}`);
  return saved === null ? undefined : JSON.parse(saved);
}

function withSpool(client: SpoolClient) {
  return ({ children }: { children: ReactNode }) => createElement(SpoolProvider, { client }, children);
}

describe('useSpoolStream', () => {
  it('streams an answer into text, and resumes after a dropped connection with the exact text', async () => {
    const server = await startTestServer(answer);
    const spool = spoolClient({ url: server.url, transport: 'ws' });
    const { streamId } = await spool.sendMessage({ content: 'from a component' });
    const statuses: string[] = [];
    const { result } = renderHook(
      () => {
        const state = useSpoolStream(streamId);
        if (statuses.at(-1) !== state.status) statuses.push(state.status);
        return state;
      },
      { wrapper: withSpool(spool) },
    );

    await waitFor(() => expect(result.current.lastIndex).toBeGreaterThanOrEqual(10));
    spool.dropConnection();
    await waitFor(() => expect(result.current.status).toBe('done'), { timeout: 10_000 });
    expect(result.current.text).toBe(await fullText(spool, streamId));
    expect(result.current.events.map((event) => event.index)).toEqual([...Array(answer.demoTokens + 2).keys()]);
    expect(result.current.error).toBeUndefined();
    expect(statuses).toEqual(['idle', 'connecting', 'streaming', 'reconnecting', 'streaming', 'done']);
  });

  it('remounted mid-stream, goes on from the index kept in sessionStorage: nothing missing, nothing twice', async () => {
    const server = await startTestServer(answer);
    const spool = spoolClient({ url: server.url, transport: 'sse' });
    const { streamId } = await spool.sendMessage({ content: 'remount me' });
    const first = renderHook(() => useSpoolStream(streamId), { wrapper: withSpool(spool) });
    await waitFor(() => expect(first.result.current.lastIndex).toBeGreaterThanOrEqual(15));
    first.unmount();
    const progress = kept(streamId);
    expect(progress?.lastIndex).toBeGreaterThanOrEqual(15);

    const second = renderHook(() => useSpoolStream(streamId), { wrapper: withSpool(spool) });
    expect(second.result.current.text).toBe(progress?.text);
    await waitFor(() => expect(second.result.current.status).toBe('done'), { timeout: 10_000 });
    expect(second.result.current.text).toBe(await fullText(spool, streamId));
    expect(second.result.current.events[0]?.index).toBe((progress?.lastIndex ?? Number.NaN) + 1);
  });

  it('stops watching when unmounted: the server holds no subscription for it afterwards', async () => {
    const server = await startTestServer({ demoTokens: 500, demoTokensPerSecond: 100 });
    const store = server.services.store;
    if (!(store instanceof MemoryStreamStore)) throw new Error('expected the in-process store');
    const spool = spoolClient({ url: server.url, transport: 'ws' });
    const { streamId } = await spool.sendMessage({ content: 'leave early' });
    const before = store.liveSubscriptionCount;
    const { result, unmount } = renderHook(() => useSpoolStream(streamId), { wrapper: withSpool(spool) });
    await waitFor(() => expect(result.current.lastIndex).toBeGreaterThanOrEqual(3));
    expect(store.liveSubscriptionCount).toBe(before + 1);
    unmount();
    await waitFor(() => expect(store.liveSubscriptionCount).toBe(before));
  });

  it('disconnected once its retries are spent, then reconnect() watches again from the next index', async () => {
    const server = await startTestServer(answer);
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: server.port });
    const url = `http://127.0.0.1:${proxy.port}/trpc`;
    const spool = spoolClient({ url, transport: 'sse', retry: { maxRetries: 1, baseDelayMs: 10, maxDelayMs: 10 } });
    const { streamId } = await spool.sendMessage({ content: 'out and back' });
    const { result } = renderHook(() => useSpoolStream(streamId), { wrapper: withSpool(spool) });
    await waitFor(() => expect(result.current.lastIndex).toBeGreaterThanOrEqual(5));
    proxy.cut();
    await waitFor(() => expect(result.current.status).toBe('disconnected'));
    expect(result.current.error).toMatchObject({ code: 'CONNECTION_LOST' });

    proxy.restore();
    act(() => result.current.reconnect());
    await waitFor(() => expect(result.current.status).toBe('done'), { timeout: 10_000 });
    expect(result.current.text).toBe(await fullText(spoolClient({ url: server.url }), streamId));
  });
});

describe('useSendMessage and useChat', () => {
  it('useSendMessage: sending, then sent with the ids; a refused message is an error with its code', async () => {
    const server = await startTestServer(answer);
    const spool = spoolClient({ url: server.url, transport: 'ws' });
    const { result } = renderHook(() => useSendMessage(), { wrapper: withSpool(spool) });
    expect(result.current.status).toBe('idle');
    await act(() => result.current.send({ content: 'hi' }));
    expect(result.current).toMatchObject({ status: 'sent', data: { streamId: expect.any(String) } });

    await act(() => result.current.send({ content: ' ' }).catch(() => {}));
    expect(result.current).toMatchObject({ status: 'error', error: { code: 'INVALID_INPUT' } });
  });

  it('useChat: two turns in one conversation; each answer streams in, then joins the transcript', async () => {
    const server = await startTestServer(answer);
    const spool = spoolClient({ url: server.url, transport: 'auto' });
    const { result } = renderHook(() => useChat({ storageKey: 'chat' }), { wrapper: withSpool(spool) });

    await act(() => result.current.send('first'));
    await waitFor(() => expect(result.current.messages.at(-1)?.status).toBe('streaming'));
    const firstStream = result.current.streamId as string;
    await waitFor(() => expect(result.current.streamId).toBeUndefined(), { timeout: 10_000 });
    await act(() => result.current.send('second'));
    expect(result.current.streamId).toBeDefined();
    await waitFor(() => expect(result.current.streamId).toBeUndefined(), { timeout: 10_000 });
    expect(result.current.messages).toHaveLength(4);

    const [user, reply, user2, reply2] = result.current.messages;
    expect(user).toMatchObject({ role: 'user', content: 'first' });
    expect(reply).toMatchObject({ role: 'assistant', status: 'complete', content: await fullText(spool, firstStream) });
    expect(user2).toMatchObject({ role: 'user', content: 'second' });
    expect(reply2).toMatchObject({ role: 'assistant', status: 'complete' });
    const conversation = await spool.trpc.listMessages.query({ conversationId: result.current.conversationId ?? '' });
    expect(conversation.items.map((message) => message.content).reverse()).toEqual(
      result.current.messages.map((message) => message.content),
    );
  });

  it('useChat with a storageKey: a remount (a reload) mid-answer keeps the transcript and finishes the answer exactly', async () => {
    const server = await startTestServer(answer);
    const spool = spoolClient({ url: server.url, transport: 'ws' });
    const first = renderHook(() => useChat({ storageKey: 'chat' }), { wrapper: withSpool(spool) });
    await act(() => first.result.current.send('survive a reload'));
    const streamId = first.result.current.streamId as string;
    await waitFor(() => expect(first.result.current.lastIndex).toBeGreaterThanOrEqual(10));
    first.unmount();

    const progress = kept(streamId);
    const second = renderHook(() => useChat({ storageKey: 'chat' }), { wrapper: withSpool(spool) });
    expect(second.result.current.messages[0]).toMatchObject({ role: 'user', content: 'survive a reload' });
    expect(second.result.current.lastIndex).toBeGreaterThanOrEqual(progress?.lastIndex ?? Number.NaN);
    await waitFor(() => expect(second.result.current.streamId).toBeUndefined(), { timeout: 10_000 });
    expect(second.result.current.messages[1]).toMatchObject({
      status: 'complete',
      content: await fullText(spool, streamId),
    });
    // The answer now lives in the transcript: its stream progress is not kept twice.
    expect(kept(streamId)).toBeUndefined();
  });

  it('useChat: an answer that fails joins the transcript as failed, and its error stays shown', async () => {
    const server = await startTestServer({ provider: rateLimitedModel });
    const spool = spoolClient({ url: server.url, transport: 'ws' });
    const { result } = renderHook(() => useChat(), { wrapper: withSpool(spool) });
    await act(() => result.current.send('hello'));
    await waitFor(() => expect(result.current.streamId).toBeUndefined());

    expect(result.current.messages[1]).toMatchObject({
      role: 'assistant',
      status: 'failed',
      content: 'Partly',
      error: { code: 'PROVIDER_RATE_LIMITED' },
    });
    expect(result.current.error).toMatchObject({ code: 'PROVIDER_RATE_LIMITED', retryAfterMs: 1_500 });
  });

  it('useChat: a second send() in the same tick is refused, and only the first message is sent', async () => {
    const server = await startTestServer(answer);
    const spool = spoolClient({ url: server.url, transport: 'ws' });
    const { result } = renderHook(() => useChat(), { wrapper: withSpool(spool) });
    let second: unknown;
    await act(async () => {
      const { send } = result.current;
      const first = send('one');
      second = await send('two').catch((error: unknown) => error);
      await first;
    });
    expect(second).toBeInstanceOf(Error);
    await waitFor(() => expect(result.current.streamId).toBeUndefined(), { timeout: 10_000 });
    expect(result.current.messages.map((message) => message.role)).toEqual(['user', 'assistant']);
    expect(result.current.messages[0]?.content).toBe('one');
  });

  it('useChat: an answer that cannot be watched (no such stream) ends as failed, and the chat goes on', async () => {
    const server = await startTestServer(answer);
    const spool = spoolClient({ url: server.url, transport: 'ws' });
    const [streamId, assistantMessageId] = [randomUUID(), randomUUID()];
    const lost = { conversationId: randomUUID(), userMessageId: randomUUID(), assistantMessageId, streamId };
    sessionStorage.setItem('chat', JSON.stringify({ conversationId: undefined, messages: [], pending: lost }));
    const { result } = renderHook(() => useChat({ storageKey: 'chat' }), { wrapper: withSpool(spool) });

    await waitFor(() => expect(result.current.streamId).toBeUndefined());
    expect(result.current.messages[0]).toMatchObject({ status: 'failed', error: { code: 'STREAM_NOT_FOUND' } });
    await act(() => result.current.send('again'));
    expect(result.current.streamId).toBeDefined();
  });
});
