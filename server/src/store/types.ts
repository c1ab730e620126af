import type { StreamEvent, StreamEventBody, TerminalEventBody } from '@spool/shared';
import type { Subscriber, Watch } from '../delivery/subscriber.ts';

export interface StreamMeta {
  ownerId: string;
  /** Set when the log is created; a log recreated under the same id gets another epoch. */
  epoch: string;
  status: 'running' | 'ended';
  /** Events in the log: the next append gets this index. */
  length: number;
}

export interface CreateStreamOptions {
  ownerId: string;
  /** How long the generator's lease lasts; each `renewLease` extends it by this much. */
  leaseMs: number;
}

export interface ReadOptions {
  /** First index to deliver. Must be <= the log's length, and < it once the stream has ended. */
  fromIndex: number;
  signal?: AbortSignal;
}

/**
 * An append-only log of events per stream, with one writer and any number of readers.
 * Implementations: in-process (`memory.ts`) and Redis (`redis.ts`); one contract suite tests both.
 */
export interface StreamStore {
  /** Creates an empty, running stream. Fails with `StreamExistsError` if the id is taken. */
  create(streamId: string, options: CreateStreamOptions): Promise<StreamMeta>;
  /**
   * Appends one event, assigns its index and wakes the readers, in one step. The body is trusted: it
   * was validated where it entered Spool. Fails with `StreamNotFoundError` if the log is gone and
   * `StreamEndedError` after a terminal event.
   */
  append(streamId: string, body: StreamEventBody): Promise<StreamEvent>;
  /**
   * Appends several events in order as one step (one round trip), each with its own index; only the
   * last may be terminal. Fails like `append`, and then none of them is appended. `expectedIndex`: the
   * index the first one must get (else `IndexConflictError`); a batch sent twice is then appended once.
   */
  appendBatch(streamId: string, bodies: readonly StreamEventBody[], expectedIndex?: number): Promise<StreamEvent[]>;
  /** Extends the generator's lease; the generator calls it on a timer, tokens or not. */
  renewLease(streamId: string): Promise<void>;
  /** The stream's metadata, or null if it does not exist (never created, or expired). */
  meta(streamId: string): Promise<StreamMeta | null>;
  /**
   * Every event from `fromIndex` on, exactly once and in order, replayed from the log and then live,
   * ending after the terminal event. Throws `StreamNotFoundError` or `IndexOutOfRangeError` before
   * the first event. Releases everything it holds on return, throw or abort.
   */
  read(streamId: string, options: ReadOptions): AsyncIterable<StreamEvent>;
  /**
   * The same events as `read`, pushed to `subscriber` by this process's fan-out of the stream: the
   * fast path of the transports. Failures go to `subscriber.fail`.
   */
  watch(streamId: string, fromIndex: number, subscriber: Subscriber): Watch;
  /** Subscriptions this process delivers to (watches and reads), across all streams. */
  readonly watcherCount: number;
  /** The events in the log now, without waiting for more; null if the log is gone. */
  readLog(streamId: string): Promise<StreamEvent[] | null>;
  /** Asks the generator, wherever it runs, to stop. Fails like `append` if the stream is gone or ended. */
  requestCancel(streamId: string): Promise<void>;
  /** Resolves once a cancel is requested for the stream; settles never otherwise, until `signal` aborts. */
  whenCancelRequested(streamId: string, signal: AbortSignal): Promise<void>;
  /**
   * If the stream has no terminal event and its lease has lapsed, appends its final event (see
   * `setFinalEvent`) or else `body` as its terminal event (once, whoever calls). Returns whether it did.
   */
  endIfAbandoned(streamId: string, body: StreamEventBody & { type: 'error' }): Promise<boolean>;
  /**
   * Keeps the terminal event of a finished answer beside the log, before it is appended (the answer
   * is saved first): if the generator cannot append it, whoever ends the stream uses it.
   */
  setFinalEvent(streamId: string, body: TerminalEventBody): Promise<void>;
  /** Appends the final event set by `setFinalEvent`, if any and if the stream has not ended. Returns whether it did. */
  endIfFinished(streamId: string): Promise<boolean>;
  close(): Promise<void>;
}
