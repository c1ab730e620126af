import { randomUUID } from 'node:crypto';
import {
  isTerminalEvent,
  SpoolErrorCode,
  type StreamEvent,
  type StreamEventBody,
  streamEventBodySchema,
  type TerminalEventBody,
  terminalEventBodySchema,
} from '@spool/shared';
import type { Logger } from 'pino';
import { Fanouts } from '../delivery/fanout.ts';
import type { LogPage, LogSource } from '../delivery/log-source.ts';
import type { Subscriber, Watch } from '../delivery/subscriber.ts';
import { watchIterable } from '../delivery/watch-iterable.ts';
import { assertTerminalLast } from './append-batch.ts';
import { CancelFeed } from './cancel-feed.ts';
import {
  generatorLostEvent,
  IndexConflictError,
  StoreError,
  StoreUnavailableError,
  StreamEndedError,
  StreamExistsError,
  StreamNotFoundError,
  withStore,
} from './errors.ts';
import { decodeLoggedEvent } from './logged-event.ts';
import type { RedisClient } from './redis-connection.ts';
import { cancelChannel, streamKeys } from './redis-keys.ts';
import { defineScripts, type ScriptCommand } from './redis-script-commands.ts';
import { streamScripts } from './redis-scripts.ts';
import { SubscriberHub } from './subscriber-hub.ts';
import { defaultStoreTuning, type StoreTuning } from './tuning.ts';
import type { CreateStreamOptions, ReadOptions, StreamMeta, StreamStore } from './types.ts';

type ScriptArg = string | number;
type Commands = Record<keyof ReturnType<typeof streamScripts>, ScriptCommand>;

export interface RedisStoreOptions extends Partial<StoreTuning> {
  /** Commands: appends, reads, scripts. One Redis, or a cluster (then every client is). */
  redis: RedisClient;
  /** A second connection, used only for (S)SUBSCRIBE. The store owns neither connection's lifetime. */
  subscriber: RedisClient;
  /** Key prefix; tests use a unique one each. */
  prefix?: string;
  log: Logger;
}

/** The Redis store: per stream, the keys of `streamKeys`, and a cancel channel beside its event channel. */
export class RedisStreamStore implements StreamStore {
  readonly #redis: RedisClient & Commands;
  readonly #hub: SubscriberHub;
  readonly #prefix: string;
  readonly #tuning: StoreTuning;
  readonly #fanouts: Fanouts;
  readonly #cancels: CancelFeed;
  /** Where cancel requests for the streams this instance creates (and generates) are published. */
  readonly cancelChannel: string;

  constructor(options: RedisStoreOptions) {
    const { redis, subscriber, prefix = 'spool', log, ...tuning } = options;
    this.#redis = defineScripts(redis, streamScripts(redis.isCluster ? 'sharded' : 'classic'), 2);
    this.#hub = new SubscriberHub(subscriber, log);
    this.#prefix = prefix;
    this.#tuning = { ...defaultStoreTuning, ...tuning };
    this.#fanouts = new Fanouts(this.#logSource(), this.#tuning, (error, streamId) =>
      log.warn({ err: error, streamId }, 'lease check of a quiet stream failed; retried at the next sweep'),
    );
    this.cancelChannel = cancelChannel(prefix, randomUUID());
    this.#cancels = new CancelFeed(this.#hub, this.cancelChannel, (streamId) => this.#cancelFlag(streamId), log);
  }

  /** Channels this process's subscriber connection holds: one per watched stream, and its cancel channel. */
  get subscribedChannelCount(): number {
    return this.#hub.channelCount;
  }

  /** Local listeners on those channels: one per watched stream (its fan-out), and the cancel feed. */
  get liveListenerCount(): number {
    return this.#hub.listenerCount;
  }

  get watcherCount(): number {
    return this.#fanouts.watcherCount;
  }

  channelOf(streamId: string): string {
    return streamKeys(this.#prefix, streamId).channel;
  }

  async create(streamId: string, options: CreateStreamOptions): Promise<StreamMeta> {
    const epoch = randomUUID();
    const ttlMs = this.#tuning.logTtlMs;
    const { ownerId, leaseMs } = options;
    const created = await this.#call('spoolCreate', streamId, ownerId, epoch, leaseMs, ttlMs, this.cancelChannel);
    if (created === 0) throw new StreamExistsError(streamId);
    return { ownerId: options.ownerId, epoch, status: 'running', length: 0 };
  }

  async append(streamId: string, body: StreamEventBody): Promise<StreamEvent> {
    const [event] = await this.appendBatch(streamId, [body]);
    return event as StreamEvent;
  }

  async appendBatch(
    streamId: string,
    bodies: readonly StreamEventBody[],
    expectedIndex?: number,
  ): Promise<StreamEvent[]> {
    assertTerminalLast(bodies);
    if (bodies.length === 0) return [];
    const args: string[] = [];
    for (const body of bodies) args.push(isTerminalEvent(body) ? '1' : '0', JSON.stringify(body));
    const channel = this.channelOf(streamId);
    const expected = expectedIndex ?? '';
    const first = Number(await this.#call('spoolAppend', streamId, channel, this.#tuning.logTtlMs, expected, ...args));
    return bodies.map((body, i) => ({ ...body, index: first + i }));
  }

  async renewLease(streamId: string): Promise<void> {
    await this.#call('spoolRenewLease', streamId, this.#tuning.logTtlMs);
  }

  /**
   * A worker takes a queued answer (`takeOverScript`): its lease and cancel channel from now on.
   * Returns whether it was cancelled while queued, or null when its queue lease had lapsed.
   */
  async takeOver(streamId: string, leaseMs: number): Promise<{ cancelled: boolean } | null> {
    const reply = await this.#call('spoolTakeOver', streamId, leaseMs, this.cancelChannel);
    return Number(reply) === -1 ? null : { cancelled: String(reply) === '1' };
  }

  async meta(streamId: string): Promise<StreamMeta | null> {
    const reply = (await this.#call('spoolMeta', streamId)) as [string, string, string, number, string] | null;
    if (!reply) return null;
    const [ownerId, epoch, status, length] = reply;
    return { ownerId, epoch, status: status === 'ended' ? 'ended' : 'running', length };
  }

  read(streamId: string, options: ReadOptions): AsyncIterable<StreamEvent> {
    const capacity = this.#tuning.liveCapacity;
    return watchIterable((subscriber) => this.watch(streamId, options.fromIndex, subscriber), { ...options, capacity });
  }

  watch(streamId: string, fromIndex: number, subscriber: Subscriber): Watch {
    return this.#fanouts.watch(streamId, fromIndex, subscriber);
  }

  async readLog(streamId: string): Promise<StreamEvent[] | null> {
    const events: StreamEvent[] = [];
    for (;;) {
      const page = await this.#readPage(streamId, events.length, this.#tuning.pageSize);
      if (!page) return null;
      for (const { event } of page.events) events.push(event);
      if (page.events.length === 0 || events.length >= page.length) return events;
    }
  }

  async requestCancel(streamId: string): Promise<void> {
    const channel = await this.#call('spoolRequestCancel', streamId, streamId);
    // On a cluster the script cannot publish to the generator's channel, in another slot: that is this step.
    if (this.#redis.isCluster && typeof channel === 'string') {
      const redis = this.#redis;
      await withStore(() => redis.spublish(channel, streamId));
    }
  }

  whenCancelRequested(streamId: string, signal: AbortSignal): Promise<void> {
    return this.#cancels.whenCancelled(streamId, signal);
  }

  /** Subscribes this instance's cancel channel, ahead of the first answer. */
  open(): Promise<void> {
    return this.#cancels.open();
  }

  async endIfAbandoned(streamId: string, body: StreamEventBody & { type: 'error' }): Promise<boolean> {
    const valid = streamEventBodySchema.parse(body);
    const ended = await this.#call(
      'spoolEndIfAbandoned',
      streamId,
      this.channelOf(streamId),
      JSON.stringify(valid),
      this.#tuning.logTtlMs,
    );
    return ended === 1;
  }

  async setFinalEvent(streamId: string, body: TerminalEventBody): Promise<void> {
    await this.#call('spoolSetFinalEvent', streamId, JSON.stringify(terminalEventBodySchema.parse(body)));
  }

  async endIfFinished(streamId: string): Promise<boolean> {
    return (await this.#call('spoolEndIfFinished', streamId, this.channelOf(streamId), this.#tuning.logTtlMs)) === 1;
  }

  /** The connections belong to the caller. */
  async close(): Promise<void> {
    this.#hub.close();
    this.#fanouts.close();
    this.#cancels.close();
  }

  #logSource(): LogSource {
    return {
      subscribeLive: (streamId, listener) => this.#hub.subscribe(this.channelOf(streamId), decodeLoggedEvent, listener),
      readPage: (streamId, fromIndex, limit) => this.#readPage(streamId, fromIndex, limit),
      endIfAbandoned: async (streamId) => {
        await this.endIfAbandoned(streamId, generatorLostEvent);
      },
    };
  }

  async #cancelFlag(streamId: string): Promise<boolean> {
    const reply = (await this.#call('spoolMeta', streamId)) as [string, string, string, number, string] | null;
    return reply?.[4] === '1';
  }

  async #readPage(streamId: string, fromIndex: number, limit: number): Promise<LogPage | null> {
    const reply = (await this.#call('spoolReadPage', streamId, fromIndex, limit)) as [string, number, string[]] | null;
    if (!reply) return null;
    const [status, length, raws] = reply;
    const events = raws.map((raw) => {
      const event = decodeLoggedEvent(raw);
      if (!event)
        throw new StoreError(SpoolErrorCode.internal, `stream ${streamId} has an undecodable event in its log`);
      return event;
    });
    return { events, length, ended: status === 'ended' };
  }

  async #call(command: keyof Commands, streamId: string, ...args: ScriptArg[]): Promise<unknown> {
    const { log, meta } = streamKeys(this.#prefix, streamId);
    try {
      return await this.#redis[command](log, meta, ...args);
    } catch (error) {
      throw translateError(error, streamId);
    }
  }
}

/**
 * Replies that say a master is not there for the slot right now, rather than that the command is wrong:
 * a restarted master still joining (CLUSTERDOWN), a slot mid-migration (TRYAGAIN), a failover, a master
 * restarted without the scripts it had (NOSCRIPT, sent again as EVAL by ioredis on the next call).
 */
const transientReply = /^(CLUSTERDOWN|TRYAGAIN|MOVED|ASK|LOADING|MASTERDOWN|READONLY|NOSCRIPT) /;

/** Script refusals become typed errors; another reply error is a bug and stays as it is; anything else is the connection. */
function translateError(error: unknown, streamId: string): Error {
  if (!(error instanceof Error)) return new StoreUnavailableError(error);
  if (error.message.includes('SPOOL_NOT_FOUND')) return new StreamNotFoundError(streamId);
  if (error.message.includes('SPOOL_ENDED')) return new StreamEndedError(streamId);
  if (error.message.includes('SPOOL_INDEX_CONFLICT')) return new IndexConflictError(streamId);
  if (error.name === 'ReplyError' && !transientReply.test(error.message)) return error;
  return new StoreUnavailableError(error);
}
