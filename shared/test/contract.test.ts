import { describe, expect, it } from 'vitest';
import {
  isRetryableErrorCode,
  isTerminalEvent,
  resumeIndex,
  SpoolErrorCode,
  streamEventBodySchema,
  streamEventSchema,
  streamInputSchema,
  wellFormedText,
} from '../src/index.ts';

describe('the event contract', () => {
  it('accepts each event type with its index and rejects one without', () => {
    const events = [
      { type: 'start', index: 0, streamId: 's', conversationId: 'c', messageId: 'm', model: 'x' },
      { type: 'token', index: 1, text: 'hi' },
      { type: 'progress', index: 2, stage: 'retrieval', fraction: 0.5 },
      { type: 'log', index: 3, level: 'info', message: 'note' },
      { type: 'done', index: 4, finishReason: 'stop', usage: { promptTokens: 1, completionTokens: 2, totalTokens: 3 } },
      { type: 'error', index: 5, code: 'PROVIDER_ERROR', message: 'down', retryable: true },
    ];
    for (const event of events) expect(streamEventSchema.parse(event)).toEqual(event);
    expect(streamEventSchema.safeParse({ type: 'token', text: 'no index' }).success).toBe(false);
    expect(streamEventSchema.safeParse({ type: 'token', index: -1, text: 'x' }).success).toBe(false);
    expect(
      streamEventSchema.safeParse({ type: 'error', index: 0, code: 'MADE_UP', message: '', retryable: false }).success,
    ).toBe(false);
  });

  it('knows which events end a stream and which errors are worth retrying', () => {
    expect(isTerminalEvent({ type: 'done', index: 0, finishReason: 'stop', usage: null })).toBe(true);
    expect(isTerminalEvent({ type: 'token', index: 0, text: '' })).toBe(false);
    expect(isRetryableErrorCode(SpoolErrorCode.generatorLost)).toBe(true);
    expect(isRetryableErrorCode(SpoolErrorCode.streamNotFound)).toBe(false);
  });

  it('resumes after lastEventId, else at fromIndex, else at 0', () => {
    expect(resumeIndex({})).toBe(0);
    expect(resumeIndex({ fromIndex: 4 })).toBe(4);
    expect(resumeIndex({ fromIndex: 4, lastEventId: '9' })).toBe(10);
    const streamId = '0196b3a0-0000-7000-8000-000000000000';
    expect(streamInputSchema.safeParse({ streamId, lastEventId: '01' }).success).toBe(false);
    expect(streamInputSchema.safeParse({ streamId, lastEventId: '12' }).success).toBe(true);
  });

  it('normalises text where it enters: lone surrogates and NUL become U+FFFD, pairs stay', () => {
    expect(wellFormedText('a\u0000b\ud800c\udc00d\ud83d\ude00')).toBe('a\uFFFDb\uFFFDc\uFFFDd\ud83d\ude00');
    expect(streamEventBodySchema.parse({ type: 'token', text: '\ud800' })).toEqual({ type: 'token', text: '\uFFFD' });
  });
});
