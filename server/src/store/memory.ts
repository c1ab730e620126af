import { randomUUID } from 'node:crypto';
import type { StreamEvent, StreamEventBody } from '@spool/shared';
import { isTerminalEvent, type TerminalEventBody, terminalEventBodySchema } from '@spool/shared';
import { EncodedEvent } from '../delivery/encoded-event.ts';
import { Fanouts } from '../delivery/fanout.ts';
import type { LiveListener, LogPage, LogSource } from '../delivery/log-source.ts';
import type { Subscriber, Watch } from '../delivery/subscriber.ts';
import { watchIterable } from '../delivery/watch-iterable.ts';
import { assertTerminalLast } from './append-batch.ts';
import {
  generatorLostEvent,
  IndexConflictError,
  StreamEndedError,
  StreamExistsError,
  StreamNotFoundError,
} from './errors.ts';
import { defaultStoreTuning, type StoreTuning } from './tuning.ts';
import type { CreateStreamOptions, ReadOptions, StreamMeta, StreamStore } from './types.ts';

interface MemoryStream {
  ownerId: string;
  epoch: string;
  events: StreamEvent[];
  ended: boolean;
  leaseMs: number;
  leaseUntil: number;
  cancelRequested: boolean;
  /** The finished answer's terminal event, kept until it is appended. */
  finalEvent: TerminalEventBody | undefined;
  /** This process's fan-out of the stream, while it has watchers. */
  live: LiveListener | undefined;
  cancelWaiters: Set<() => void>;
}

/** The in-process store of the embedded mode: the same contract as Redis, in one process's memory. */
export class MemoryStreamStore implements StreamStore {
  readonly #streams = new Map<string, MemoryStream>();
  readonly #expiries = new Set<NodeJS.Timeout>();
  readonly #tuning: StoreTuning;
  readonly #fanouts: Fanouts;

  constructor(tuning: Partial<StoreTuning> = {}) {
    this.#tuning = { ...defaultStoreTuning, ...tuning };
    // In process, the lease check cannot fail but by a bug: let it be loud.
    this.#fanouts = new Fanouts(this.#logSource(), this.#tuning, (error) => {
      throw error;
    });
  }

  /** Live subscriptions across all streams: zero when every reader has released its own. */
  get liveSubscriptionCount(): number {
    let count = 0;
    for (const stream of this.#streams.values()) count += stream.cancelWaiters.size;
    return count + this.#fanouts.watcherCount;
  }

  get watcherCount(): number {
    return this.#fanouts.watcherCount;
  }

  async create(streamId: string, options: CreateStreamOptions): Promise<StreamMeta> {
    if (this.#streams.has(streamId)) throw new StreamExistsError(streamId);
    const stream: MemoryStream = {
      ownerId: options.ownerId,
      epoch: randomUUID(),
      events: [],
      ended: false,
      leaseMs: options.leaseMs,
      leaseUntil: Date.now() + options.leaseMs,
      cancelRequested: false,
      finalEvent: undefined,
      live: undefined,
      cancelWaiters: new Set(),
    };
    this.#streams.set(streamId, stream);
    return toMeta(stream);
  }

  async append(streamId: string, body: StreamEventBody): Promise<StreamEvent> {
    const stream = this.#writable(streamId);
    return this.#append(streamId, stream, body);
  }

  async appendBatch(
    streamId: string,
    bodies: readonly StreamEventBody[],
    expectedIndex?: number,
  ): Promise<StreamEvent[]> {
    assertTerminalLast(bodies);
    const stream = this.#writable(streamId);
    if (expectedIndex !== undefined && expectedIndex !== stream.events.length) throw new IndexConflictError(streamId);
    return bodies.map((body) => this.#append(streamId, stream, body));
  }

  async renewLease(streamId: string): Promise<void> {
    const stream = this.#writable(streamId);
    stream.leaseUntil = Date.now() + stream.leaseMs;
  }

  async meta(streamId: string): Promise<StreamMeta | null> {
    const stream = this.#streams.get(streamId);
    return stream ? toMeta(stream) : null;
  }

  read(streamId: string, options: ReadOptions): AsyncIterable<StreamEvent> {
    const capacity = this.#tuning.liveCapacity;
    return watchIterable((subscriber) => this.watch(streamId, options.fromIndex, subscriber), { ...options, capacity });
  }

  watch(streamId: string, fromIndex: number, subscriber: Subscriber): Watch {
    return this.#fanouts.watch(streamId, fromIndex, subscriber);
  }

  async readLog(streamId: string): Promise<StreamEvent[] | null> {
    return this.#streams.get(streamId)?.events.slice() ?? null;
  }

  async requestCancel(streamId: string): Promise<void> {
    const stream = this.#writable(streamId);
    stream.cancelRequested = true;
    for (const wake of stream.cancelWaiters) wake();
  }

  whenCancelRequested(streamId: string, signal: AbortSignal): Promise<void> {
    const stream = this.#streams.get(streamId);
    if (!stream) return Promise.reject(new StreamNotFoundError(streamId));
    if (stream.cancelRequested) return Promise.resolve();
    return new Promise((resolve) => {
      const settle = () => {
        stream.cancelWaiters.delete(settle);
        signal.removeEventListener('abort', settle);
        resolve();
      };
      stream.cancelWaiters.add(settle);
      signal.addEventListener('abort', settle, { once: true });
    });
  }

  async endIfAbandoned(streamId: string, body: StreamEventBody & { type: 'error' }): Promise<boolean> {
    const stream = this.#streams.get(streamId);
    if (!stream || stream.ended || stream.leaseUntil > Date.now()) return false;
    this.#append(streamId, stream, stream.finalEvent ?? body);
    return true;
  }

  async setFinalEvent(streamId: string, body: TerminalEventBody): Promise<void> {
    this.#writable(streamId).finalEvent = terminalEventBodySchema.parse(body);
  }

  async endIfFinished(streamId: string): Promise<boolean> {
    const stream = this.#streams.get(streamId);
    if (!stream || stream.ended || !stream.finalEvent) return false;
    this.#append(streamId, stream, stream.finalEvent);
    return true;
  }

  async close(): Promise<void> {
    this.#fanouts.close();
    for (const timer of this.#expiries) clearTimeout(timer);
    this.#expiries.clear();
  }

  #writable(streamId: string): MemoryStream {
    const stream = this.#streams.get(streamId);
    if (!stream) throw new StreamNotFoundError(streamId);
    if (stream.ended) throw new StreamEndedError(streamId);
    return stream;
  }

  #logSource(): LogSource {
    return {
      subscribeLive: async (streamId, listener) => {
        const stream = this.#streams.get(streamId);
        if (stream) stream.live = listener;
        return () => {
          if (stream?.live === listener) stream.live = undefined;
        };
      },
      readPage: async (streamId, fromIndex, limit): Promise<LogPage | null> => {
        const stream = this.#streams.get(streamId);
        if (!stream) return null;
        const events = stream.events.slice(fromIndex, fromIndex + limit).map((event) => new EncodedEvent(event));
        return { events, length: stream.events.length, ended: stream.ended };
      },
      endIfAbandoned: async (streamId) => {
        await this.endIfAbandoned(streamId, generatorLostEvent);
      },
    };
  }

  #append(streamId: string, stream: MemoryStream, body: StreamEventBody): StreamEvent {
    const event = { ...body, index: stream.events.length } as StreamEvent;
    stream.events.push(event);
    if (isTerminalEvent(event)) {
      stream.ended = true;
      this.#expireLater(streamId);
    }
    stream.live?.message(new EncodedEvent(event));
    return event;
  }

  #expireLater(streamId: string): void {
    const timer = setTimeout(() => {
      this.#expiries.delete(timer);
      this.#streams.delete(streamId);
    }, this.#tuning.logTtlMs);
    timer.unref();
    this.#expiries.add(timer);
  }
}

function toMeta(stream: MemoryStream): StreamMeta {
  return {
    ownerId: stream.ownerId,
    epoch: stream.epoch,
    status: stream.ended ? 'ended' : 'running',
    length: stream.events.length,
  };
}
