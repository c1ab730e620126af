import { randomUUID } from 'node:crypto';
import type { StreamEvent, StreamEventBody } from '@spool/shared';
import { isTerminalEvent, streamEventBodySchema, type TerminalEventBody, terminalEventBodySchema } from '@spool/shared';
import { generatorLostEvent, StreamEndedError, StreamExistsError, StreamNotFoundError } from './errors.ts';
import { type FollowSource, follow } from './follow.ts';
import type { LiveQueue } from './live-queue.ts';
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
  readers: Set<LiveQueue>;
  cancelWaiters: Set<() => void>;
}

/** The in-process store of the embedded mode: the same contract as Redis, in one process's memory. */
export class MemoryStreamStore implements StreamStore {
  readonly #streams = new Map<string, MemoryStream>();
  readonly #expiries = new Set<NodeJS.Timeout>();
  readonly #tuning: StoreTuning;

  constructor(tuning: Partial<StoreTuning> = {}) {
    this.#tuning = { ...defaultStoreTuning, ...tuning };
  }

  /** Live subscriptions across all streams: zero when every reader has released its own. */
  get liveSubscriptionCount(): number {
    let count = 0;
    for (const stream of this.#streams.values()) count += stream.readers.size + stream.cancelWaiters.size;
    return count;
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
      readers: new Set(),
      cancelWaiters: new Set(),
    };
    this.#streams.set(streamId, stream);
    return toMeta(stream);
  }

  async append(streamId: string, body: StreamEventBody): Promise<StreamEvent> {
    const stream = this.#writable(streamId);
    return this.#append(streamId, stream, body);
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
    const source: FollowSource = {
      subscribe: async (queue) => {
        const stream = this.#streams.get(streamId);
        stream?.readers.add(queue);
        return () => stream?.readers.delete(queue);
      },
      readPage: async (fromIndex, limit) => {
        const stream = this.#streams.get(streamId);
        if (!stream) return null;
        const events = stream.events.slice(fromIndex, fromIndex + limit);
        return { events, length: stream.events.length, ended: stream.ended };
      },
      endIfAbandoned: async () => {
        await this.endIfAbandoned(streamId, generatorLostEvent);
      },
    };
    return follow(source, { ...this.#tuning, streamId, fromIndex: options.fromIndex, signal: options.signal });
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
    for (const timer of this.#expiries) clearTimeout(timer);
    this.#expiries.clear();
  }

  #writable(streamId: string): MemoryStream {
    const stream = this.#streams.get(streamId);
    if (!stream) throw new StreamNotFoundError(streamId);
    if (stream.ended) throw new StreamEndedError(streamId);
    return stream;
  }

  #append(streamId: string, stream: MemoryStream, body: StreamEventBody): StreamEvent {
    const event = { ...streamEventBodySchema.parse(body), index: stream.events.length };
    stream.events.push(event);
    if (isTerminalEvent(event)) {
      stream.ended = true;
      this.#expireLater(streamId);
    }
    for (const reader of stream.readers) reader.push(event);
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
