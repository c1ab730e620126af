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

/**
 * Waits until `subscriber` takes writes again, for a writer going through events it already has (a
 * page of the log, a saved answer); call it only when `writable()` is false, so that writing to a
 * subscriber that keeps up costs no promise. False if the writer was stopped meanwhile: it must write no more.
 */
export async function untilWritable(subscriber: Subscriber, stopped: () => boolean): Promise<boolean> {
  while (!subscriber.writable()) {
    await subscriber.whenWritable();
    if (stopped()) return false;
  }
  return !stopped();
}

/** A subscription in progress; `stop()` detaches it at once and is idempotent. */
export interface Watch {
  stop(): void;
}
