/**
 * The ways the benchmark receives tokens: tRPC's wsLink over WebSocket (the link `@spool/client`
 * builds on, without it), SSE read by a minimal reader of tRPC's format (`sse-reader.ts`),
 * `@spool/client` itself over WebSocket (resume logic and event validation included), `socket.io-client` (the peer), and the floor: one raw Redis SUBSCRIBE
 * connection, no server in between.
 */
import { createSpoolClient, type SpoolClient } from '@spool/client';
import type { AppRouter } from '@spool/server';
import type { StreamEvent } from '@spool/shared';
import { createTRPCClient, createWSClient, type TRPCClient, wsLink } from '@trpc/client';
import { io, type Socket } from 'socket.io-client';
import { isCluster, type RedisClient } from '../server/src/store/redis-connection.ts';
import type { Recorder, WireEvent } from './recorder.ts';
import { readSse } from './sse-reader.ts';
import { wallNow } from './time.ts';

export interface Subscribers {
  connections: number;
  close(): Promise<void>;
}

interface Unsubscribable {
  unsubscribe(): void;
}

/** Subscribes to stream k from index 0 and feeds what arrives to the recorder, timestamped first thing. */
function watch(client: TRPCClient<AppRouter>, streamId: string, stream: number, recorder: Recorder): Unsubscribable {
  let connected = false;
  return client.stream.subscribe(
    { streamId, fromIndex: 0 },
    {
      onData: (tracked: { id: string; data: StreamEvent }) => recorder.event(stream, tracked.data, wallNow()),
      onError: (error) => recorder.fail(stream, error),
      onConnectionStateChange: (state) => {
        if (state.state === 'pending') connected = true;
        else if (state.state === 'connecting' && connected) {
          connected = false;
          recorder.reconnected();
        }
      },
    },
  );
}

/** One WebSocket per `streamsPerConnection` streams (1: a socket per stream, as separate browsers would have). */
export function subscribeWs(
  url: string,
  streamIds: string[],
  streamsPerConnection: number,
  recorder: Recorder,
): Subscribers {
  const sockets: ReturnType<typeof createWSClient>[] = [];
  const subscriptions: Unsubscribable[] = [];
  let client: TRPCClient<AppRouter> | undefined;
  for (const [stream, streamId] of streamIds.entries()) {
    if (!client || stream % streamsPerConnection === 0) {
      const socket = createWSClient({ url: url.replace(/^http/, 'ws') });
      sockets.push(socket);
      client = createTRPCClient<AppRouter>({ links: [wsLink<AppRouter>({ client: socket })] });
    }
    subscriptions.push(watch(client, streamId, stream, recorder));
  }
  return {
    connections: sockets.length,
    async close() {
      for (const subscription of subscriptions) subscription.unsubscribe();
      await Promise.all(sockets.map((socket) => socket.close()));
    },
  };
}

/** One HTTP connection per stream, as tRPC's httpSubscriptionLink opens one EventSource per subscription. */
export function subscribeSse(url: string, streamIds: string[], recorder: Recorder): Subscribers {
  const closes = streamIds.map((streamId, stream) => {
    const input = encodeURIComponent(JSON.stringify({ streamId, fromIndex: 0 }));
    return readSse(`${url}/stream?input=${input}`, {
      onEvent: (event) => recorder.event(stream, event, wallNow()),
      onError: (error) => recorder.fail(stream, error),
    });
  });
  return {
    connections: closes.length,
    async close() {
      for (const close of closes) close();
    },
  };
}

/** `@spool/client` over WebSocket, one client (one socket) per `streamsPerConnection` streams, as an app would use it. */
export function subscribeSdk(
  url: string,
  streamIds: string[],
  streamsPerConnection: number,
  recorder: Recorder,
): Subscribers {
  const clients: SpoolClient[] = [];
  const stops: (() => void)[] = [];
  for (const [stream, streamId] of streamIds.entries()) {
    if (stream % streamsPerConnection === 0) clients.push(createSpoolClient({ url, transport: 'ws' }));
    const client = clients.at(-1) as SpoolClient;
    const stop = client.watch(streamId, {
      onEvent: (event) => recorder.event(stream, event, wallNow()),
      onError: (error) => recorder.fail(stream, error),
      onStatus: (status) => {
        if (status === 'reconnecting') recorder.reconnected();
      },
    });
    stops.push(stop);
  }
  return {
    connections: clients.length,
    async close() {
      for (const stop of stops) stop();
      await Promise.all(clients.map((client) => client.close()));
    },
  };
}

/**
 * Every stream's channel on one SUBSCRIBE connection (the caller's, which it closes), or on a cluster
 * SSUBSCRIBE on one connection per master; resolves once Redis has confirmed them all.
 */
export async function subscribeFloor(redis: RedisClient, channels: string[], recorder: Recorder): Promise<Subscribers> {
  const streamOf = new Map(channels.map((channel, stream) => [channel, stream]));
  redis.on(redis.isCluster ? 'smessage' : 'message', (channel: string, raw: string) => {
    const receivedAt = wallNow();
    const stream = streamOf.get(channel);
    // Our own generator wrote this JSON, in the shape the append script publishes.
    if (stream === undefined) recorder.stray(`channel ${channel}`);
    else recorder.event(stream, JSON.parse(raw) as WireEvent, receivedAt);
  });
  // A cluster takes one slot's channels per command: each stream's, one by one.
  if (redis.isCluster) await Promise.all(channels.map((channel) => redis.ssubscribe(channel)));
  else await redis.subscribe(...channels);
  return {
    connections: isCluster(redis) ? redis.nodes('master').length : 1,
    async close() {
      if (!redis.isCluster) await redis.unsubscribe();
    },
  };
}

/**
 * socket.io as its users would have it: one socket (WebSocket from the start, no long-polling) per
 * `streamsPerConnection` streams, joining each stream's room with an acknowledged 'watch' once connected.
 * Resolves once every join is acknowledged; if a socket cannot connect, or a join fails or takes over
 * `timeoutMs`, closes every socket and rejects. No reconnection: a socket that reconnects has left its
 * rooms, so a dropped one fails its streams instead.
 */
export async function subscribeSocketIo(
  url: string,
  streamIds: string[],
  streamsPerConnection: number,
  recorder: Recorder,
  timeoutMs: number,
): Promise<Subscribers> {
  const streamOf = new Map(streamIds.map((streamId, stream) => [streamId, stream]));
  const sockets: Socket[] = [];
  const joins: Promise<unknown>[] = [];
  let closing = false;
  for (let first = 0; first < streamIds.length; first += streamsPerConnection) {
    const mine = streamIds.slice(first, first + streamsPerConnection);
    // forceNew: io() would otherwise multiplex every socket to one URL over one connection.
    const socket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false });
    sockets.push(socket);
    socket.on('event', (json: string) => {
      const receivedAt = wallNow();
      // Our own generator wrote this JSON: the floor's shape plus the stream's id.
      const event = JSON.parse(json) as WireEvent & { streamId: string };
      const stream = streamOf.get(event.streamId);
      if (stream === undefined) recorder.stray(`stream id ${event.streamId}`);
      else recorder.event(stream, event, receivedAt);
    });
    socket.on('disconnect', (reason) => {
      if (closing) return;
      const error = new Error(`socket.io disconnected: ${reason}`);
      for (let stream = first; stream < first + mine.length; stream++) recorder.fail(stream, error);
    });
    const connected = new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
    // Emitted once connected: a disconnect then fails the pending acknowledgements at once.
    const watch = async (streamId: string) => {
      const error: string | null = await socket.timeout(timeoutMs).emitWithAck('watch', streamId);
      if (error !== null) throw new Error(`socket.io: joining the room of ${streamId} failed: ${error}`);
    };
    joins.push(connected.then(() => Promise.all(mine.map(watch))));
  }
  const subscribers: Subscribers = {
    connections: sockets.length,
    async close() {
      closing = true;
      for (const socket of sockets) socket.disconnect();
    },
  };
  try {
    await Promise.all(joins);
  } catch (error) {
    await subscribers.close();
    throw error;
  }
  return subscribers;
}
