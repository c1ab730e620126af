import type { Logger } from 'pino';
import { StoreUnavailableError } from './errors.ts';
import type { RedisClient } from './redis-connection.ts';
import { retryEach } from './retry-each.ts';

export interface HubListener<T> {
  message(value: T): void;
  /** Messages may have been missed (the connection dropped): re-read whatever the channel stands for. */
  resync(): void;
}

type ChannelCommand = 'subscribe' | 'unsubscribe';

/** Channels (un)subscribed together in one command, and who waits for it. */
interface CommandBatch {
  command: ChannelCommand;
  channels: string[];
  sent: PromiseWithResolvers<void>;
}

interface Channel<T> {
  decode: (raw: string) => T | undefined;
  listeners: Set<HubListener<T>>;
  subscribed: Promise<void>;
}

/**
 * The process's one Redis subscriber, fanned out to every local listener. Channels are
 * reference-counted: the first listener SUBSCRIBEs, the last one UNSUBSCRIBEs. Each message is decoded
 * once, whatever the number of listeners. After a reconnect it re-subscribes every channel, waits for
 * Redis to confirm, then tells every listener to resync, because what was published in the gap is gone.
 * (Un)subscriptions asked for in one turn of the event loop go out as one command each run, in order:
 * a thousand streams ending together cost one UNSUBSCRIBE, not a thousand writes.
 *
 * On a cluster the channels are sharded: SSUBSCRIBE on the master of each channel's slot, through
 * ioredis' one subscriber connection per master, one command per channel (one command's channels must
 * share a slot). ioredis re-subscribes after a failover, a restarted master or a slot that moved, then
 * says `subscribersReady`: the hub subscribes every channel again (a no-op where it held; ioredis keeps
 * a duplicate of the channel in its own list each time, dropped when the channel is), and resyncs each
 * channel's listeners once Redis has confirmed it. A slot that moved is noticed by the next slot map
 * refresh if the moment it moved was missed (`slotsRefreshInterval`).
 */
export class SubscriberHub {
  readonly #redis: RedisClient;
  readonly #sharded: boolean;
  readonly #log: Logger;
  // biome-ignore lint/suspicious/noExplicitAny: each channel keeps its own listener type
  readonly #channels = new Map<string, Channel<any>>();
  #batches: CommandBatch[] = [];
  /** Set once the store closes: its connection goes, and every channel with it. */
  #closing = false;
  /** A re-subscription waits for the client to be ready. */
  #waitingForReady = false;

  constructor(redis: RedisClient, log: Logger) {
    this.#redis = redis;
    this.#sharded = redis.isCluster;
    this.#log = log;
    redis.on(this.#sharded ? 'smessage' : 'message', (channel: string, raw: string) => this.#dispatch(channel, raw));
    // On the first connect there is nothing to re-subscribe; on every later one, all of it.
    redis.on(this.#sharded ? 'subscribersReady' : 'ready', () => this.#resubscribeAll());
  }

  /** From now on, listeners leave without an UNSUBSCRIBE: the connection is about to close with them. */
  close(): void {
    this.#closing = true;
  }

  /** Channels this process is subscribed to. */
  get channelCount(): number {
    return this.#channels.size;
  }

  /** Local listeners across all channels. */
  get listenerCount(): number {
    let count = 0;
    for (const entry of this.#channels.values()) count += entry.listeners.size;
    return count;
  }

  /**
   * Adds a listener; resolves once Redis has confirmed the channel's subscription. `decode` turns a raw
   * message into a value (undefined: undecodable, the listeners resync); one decoder per channel.
   */
  async subscribe<T>(
    channel: string,
    decode: (raw: string) => T | undefined,
    listener: HubListener<T>,
  ): Promise<() => void> {
    let entry: Channel<T> | undefined = this.#channels.get(channel);
    if (!entry) {
      const created: Channel<T> = { decode, listeners: new Set(), subscribed: this.#send('subscribe', channel) };
      this.#channels.set(channel, created);
      entry = created;
    }
    entry.listeners.add(listener);
    try {
      await entry.subscribed;
    } catch (error) {
      this.#release(channel, entry, listener);
      throw new StoreUnavailableError(error);
    }
    const subscribed = entry;
    return () => this.#release(channel, subscribed, listener);
  }

  #release<T>(channel: string, entry: Channel<T>, listener: HubListener<T>): void {
    entry.listeners.delete(listener);
    if (entry.listeners.size > 0 || this.#channels.get(channel) !== entry) return;
    this.#channels.delete(channel);
    if (this.#closing) return;
    this.#send('unsubscribe', channel).catch((error: unknown) => {
      this.#log.warn({ err: error, channel }, 'unsubscribe failed; the channel is dropped with the connection');
    });
  }

  /** Joins the command to this turn's batch of the same command if it is the last one, so that order holds. */
  #send(command: ChannelCommand, channel: string): Promise<void> {
    let batch = this.#batches.at(-1);
    if (batch?.command !== command) {
      batch = { command, channels: [], sent: Promise.withResolvers<void>() };
      if (this.#batches.push(batch) === 1) queueMicrotask(() => this.#flush());
    }
    batch.channels.push(channel);
    return batch.sent.promise;
  }

  #flush(): void {
    const batches = this.#batches;
    this.#batches = [];
    for (const { command, channels, sent } of batches) {
      Promise.all(this.#commands(channels).map((group) => this.#run(command, group))).then(
        () => sent.resolve(),
        sent.reject,
      );
    }
  }

  /** Channels as commands take them: all in one on one Redis, one each on a cluster. */
  #commands(channels: string[]): string[][] {
    return this.#sharded ? channels.map((channel) => [channel]) : [channels];
  }

  #run(command: ChannelCommand, channels: string[]): Promise<unknown> {
    if (!this.#sharded) return this.#redis[command](...channels);
    // Deferred: ioredis throws at once, not in the promise, for a slot its map has no master for.
    return Promise.resolve().then(() =>
      command === 'subscribe' ? this.#redis.ssubscribe(...channels) : this.#redis.sunsubscribe(...channels),
    );
  }

  #dispatch(channel: string, raw: string): void {
    const entry = this.#channels.get(channel);
    if (!entry) return;
    const value = entry.decode(raw);
    if (value === undefined) {
      this.#log.error({ channel, raw: raw.slice(0, 200) }, 'undecodable pub/sub message; readers resync from the log');
      for (const listener of entry.listeners) listener.resync();
      return;
    }
    for (const listener of entry.listeners) listener.message(value);
  }

  #resubscribeAll(): void {
    // ioredis says its sharded subscribers are ready before the cluster client itself is, whose commands fail until then.
    if (this.#redis.status !== 'ready') {
      if (this.#waitingForReady) return;
      this.#waitingForReady = true;
      this.#redis.once('ready', () => {
        this.#waitingForReady = false;
        this.#resubscribeAll();
      });
      return;
    }
    this.#resubscribe([...this.#channels.keys()]);
  }

  /**
   * Subscribes `channels` again and resyncs each one's listeners once Redis confirms it. On one Redis
   * what fails waits for the next reconnect; on a cluster (one master still away) it is tried again
   * with a backoff, as no further event may come.
   */
  #resubscribe(channels: string[]): void {
    if (channels.length === 0 || this.#closing) return;
    retryEach(this.#commands(channels), {
      run: async (group) => {
        await this.#run('subscribe', group);
        for (const channel of group)
          for (const listener of this.#channels.get(channel)?.listeners ?? []) listener.resync();
      },
      retryMs: (round) => (this.#sharded ? Math.min(100 * 2 ** round, 2_000) : undefined),
      wanted: (group) => !this.#closing && group.some((channel) => this.#channels.has(channel)),
      onFailures: (error, failed, round) =>
        this.#log.error(
          { err: error, failed, round },
          this.#sharded
            ? 're-subscribe after a cluster change failed; retrying'
            : 're-subscribe after reconnect failed; retrying on the next reconnect',
        ),
    });
  }
}
