import type { EncodedEvent } from './encoded-event.ts';

export interface LogPage {
  events: EncodedEvent[];
  length: number;
  ended: boolean;
}

export interface LiveListener {
  message(event: EncodedEvent): void;
  /** Messages may have been missed (the connection dropped, a message was undecodable): re-read the log. */
  resync(): void;
}

/** What a store gives the fan-out: live events per stream (a wake-up), and the log (the truth). */
export interface LogSource {
  /** Adds the stream's one live listener of this process; resolves only once the subscription is confirmed. */
  subscribeLive(streamId: string, listener: LiveListener): Promise<() => void>;
  /** Up to `limit` events from `fromIndex`, with the log's length and state; null if the stream is gone. */
  readPage(streamId: string, fromIndex: number, limit: number): Promise<LogPage | null>;
  /** Called when a watched stream was quiet for a while: ends it if its generator is gone. */
  endIfAbandoned(streamId: string): Promise<void>;
}
