import type { EncodedEvent } from './encoded-event.ts';

/**
 * Where one subscription's events go: a socket and what frames them (WS, SSE) or a queue (the
 * generic tRPC path). It is told nothing but the next event in order, the end, or the failure.
 */
export interface Subscriber {
  /** The next event, in order. Called only while `writable()` is true. */
  write(event: EncodedEvent): void;
  /** False while the socket holds more than its bound: live events are then left in the log for later. */
  writable(): boolean;
  /** Settles once `writable()` is true again, or once the subscriber is gone. */
  whenWritable(): Promise<void>;
  /** The terminal event has been written: nothing follows. */
  end(): void;
  /** Delivery failed (stream not found, index out of range, store unavailable): nothing follows. */
  fail(error: unknown): void;
}

/** A subscription in progress; `stop()` detaches it at once and is idempotent. */
export interface Watch {
  stop(): void;
}
