export {
  type FinishReason,
  isTerminalEvent,
  type SendMessageInput,
  type SendMessageOutput,
  SpoolErrorCode,
  type StreamEvent,
  type StreamEventType,
  type TerminalEvent,
  type Timings,
  type Usage,
} from '@spool/shared';
export type { ChatOptions, ChatReply, ChatResult } from './chat.ts';
export { createSpoolClient, type SpoolClient, type SpoolClientOptions } from './client.ts';
export { SpoolClientErrorCode, SpoolError } from './errors.ts';
export type { RetryPolicy } from './retry.ts';
export type { StreamOptions, StreamStatus } from './stream.ts';
export type { ActiveTransport, TokenSource, Transport } from './transports.ts';
export type { WatchHandlers } from './watch.ts';
