import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  type ChatReply,
  type ChatResult,
  createSpoolClient,
  type SpoolClient,
  type SpoolError,
  type StreamEvent,
  type Transport,
} from '../src/index.ts';

// Checked by `tsc` (npm run lint); at run time these only confirm the module loads.
describe('the public API, as a TypeScript app sees it', () => {
  const spool: SpoolClient = createSpoolClient({ url: 'http://127.0.0.1:1/trpc', transport: 'sse' });

  it('streams typed events, narrowed by their type', () => {
    expectTypeOf(spool.stream).returns.toExtend<AsyncIterable<StreamEvent>>();
    expectTypeOf<Extract<StreamEvent, { type: 'token' }>>().toHaveProperty('text').toEqualTypeOf<string>();
    expectTypeOf<Extract<StreamEvent, { type: 'done' }>['finishReason']>().toEqualTypeOf<
      'stop' | 'length' | 'content_filter' | 'tool_calls' | 'cancelled'
    >();
    expectTypeOf<StreamEvent['index']>().toEqualTypeOf<number>();
  });

  it('chat() yields text and resolves to the final message', () => {
    expectTypeOf(spool.chat).returns.toEqualTypeOf<ChatReply>();
    expectTypeOf<ChatReply>().toExtend<AsyncIterable<string>>();
    expectTypeOf<ChatReply['result']>().toEqualTypeOf<Promise<ChatResult>>();
    expectTypeOf<Awaited<ChatReply>>().toEqualTypeOf<ChatResult>();
    expectTypeOf<ChatResult>().toHaveProperty('content').toEqualTypeOf<string>();
    expectTypeOf<ChatResult>().toHaveProperty('streamId').toEqualTypeOf<string>();
  });

  it('takes only what the server accepts', () => {
    expectTypeOf(spool.sendMessage).parameter(0).toHaveProperty('content').toEqualTypeOf<string>();
    // @ts-expect-error: content is required
    expectTypeOf(spool.sendMessage).toBeCallableWith({});
    expectTypeOf<Transport>().toEqualTypeOf<'ws' | 'sse' | 'auto'>();
    // @ts-expect-error: no such transport (and at run time, refused at creation)
    expect(() => createSpoolClient({ url: 'http://127.0.0.1:1/trpc', transport: 'grpc' })).toThrow(/grpc/);
  });

  it('errors carry a code to branch on', () => {
    expectTypeOf<SpoolError['code']>().toExtend<string>();
    expectTypeOf<'STREAM_NOT_FOUND'>().toExtend<SpoolError['code']>();
    expectTypeOf<'CONNECTION_LOST'>().toExtend<SpoolError['code']>();
    expectTypeOf<'NO_SUCH_CODE'>().not.toExtend<SpoolError['code']>();
  });
});
