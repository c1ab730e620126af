import { resumeIndex, type StreamInput, streamInputSchema } from '@spool/shared';
import { TRPCError } from '@trpc/server';
import { type RawData, WebSocket } from 'ws';
import { watchAnswer } from '../answers/read-answer.ts';
import type { Subscriber, Watch } from '../delivery/subscriber.ts';
import { parseJson } from '../json.ts';
import { takeSubscriptionSlot } from '../limits/subscription-slots.ts';
import type { SpoolContext } from '../trpc/init.ts';
import { socketBackpressure } from './backpressure.ts';
import { type FastStreamDeps, streamFailure } from './fast-streams.ts';
import { type RequestId, withLastEventId, wsData, wsError, wsFrameHead, wsStarted, wsStopped } from './trpc-wire.ts';
import { corkForThisTurn } from './turn-cork.ts';
import { tcpSocketOf, writeTextFrame } from './ws-frames.ts';

interface Active {
  stopped: boolean;
  watch?: Watch;
  release?: () => void;
}

/**
 * The `stream` subscriptions of one WebSocket connection, served on the fast path: each event's bytes
 * are built once per event (only the subscription id differs per subscriber, and it is prefixed), written
 * straight to the TCP socket (`ws-frames.ts`), corked per turn. The frames are tRPC's own (`trpc-wire.ts`), so a vanilla
 * `wsLink` cannot tell the difference. Everything else on the connection (connectionParams, queries,
 * mutations, other subscriptions, malformed requests, whose exact errors are tRPC's) goes on to tRPC.
 */
export class WsStreams {
  readonly #socket: WebSocket;
  readonly #context: Promise<SpoolContext>;
  readonly #deps: FastStreamDeps;
  readonly #active = new Map<RequestId, Active>();
  readonly #waitForDrain: () => Promise<void> | undefined;

  constructor(socket: WebSocket, context: Promise<SpoolContext>, deps: FastStreamDeps) {
    this.#socket = socket;
    this.#context = context;
    this.#deps = deps;
    this.#waitForDrain = socketBackpressure(socket, deps.maxBufferedBytes);
    // tRPC reports a context that failed itself; the subscriptions waiting on it answer on their own.
    context.catch(() => {});
    socket.once('close', () => {
      for (const active of this.#active.values()) this.#release(active);
      this.#active.clear();
    });
  }

  /** Takes the requests of a text frame that are ours; returns the frame tRPC should still get, or null. */
  take(data: Buffer): Buffer | null {
    const parsed = parseJson(data.toString());
    const requests = Array.isArray(parsed) ? parsed : [parsed];
    const rest = requests.filter((request) => !this.#takeOne(request));
    if (rest.length === requests.length) return data;
    if (rest.length === 0) return null;
    return Buffer.from(JSON.stringify(Array.isArray(parsed) ? rest : rest[0]));
  }

  #takeOne(request: unknown): boolean {
    if (typeof request !== 'object' || request === null) return false;
    const { id, jsonrpc, method, params } = request as Record<string, unknown>;
    if (typeof id !== 'number' && typeof id !== 'string') return false;
    const head = wsFrameHead(id, jsonrpc === '2.0' ? '2.0' : undefined);
    if (method === 'subscription.stop') return this.#stop(id, head);
    if (method !== 'subscription' || typeof params !== 'object' || params === null) return false;
    const { path, input, lastEventId } = params as Record<string, unknown>;
    if (path !== 'stream') return false;
    const parsed = streamInputSchema.safeParse(withLastEventId(input, lastEventId));
    if (!parsed.success) return false;
    if (this.#active.has(id)) {
      const duplicate = new TRPCError({ code: 'BAD_REQUEST', message: `Duplicate id ${id}` });
      this.#send(head + wsError(streamFailure(this.#deps, duplicate, undefined, parsed.data)));
      return true;
    }
    const active: Active = { stopped: false };
    this.#active.set(id, active);
    void this.#start(id, head, parsed.data, active);
    return true;
  }

  async #start(id: RequestId, head: string, input: StreamInput, active: Active): Promise<void> {
    const { limits, sources } = this.#deps;
    let ctx: SpoolContext | undefined;
    try {
      ctx = await this.#context;
      await limits.rate.check(ctx.userId);
    } catch (error) {
      // As tRPC does for a failure before the subscription starts: the error alone.
      this.#forget(id, active);
      this.#send(head + wsError(streamFailure(this.#deps, error, ctx, input)));
      return;
    }
    if (active.stopped) return;
    this.#send(head + wsStarted);
    const finish = (failure?: unknown) => {
      if (active.stopped) return;
      this.#forget(id, active);
      if (failure !== undefined) this.#send(head + wsError(streamFailure(this.#deps, failure, ctx, input)));
      this.#send(head + wsStopped);
    };
    try {
      active.release = takeSubscriptionSlot(ctx, limits);
    } catch (error) {
      finish(error);
      return;
    }
    const headBytes = Buffer.from(head);
    const subscriber: Subscriber = {
      write: (encoded) => this.#sendData(headBytes, wsData(encoded)),
      writable: () => this.#socket.bufferedAmount <= this.#deps.maxBufferedBytes,
      whenWritable: () => this.#waitForDrain() ?? Promise.resolve(),
      end: () => finish(),
      fail: (error) => finish(error),
    };
    const options = { streamId: input.streamId, ownerId: ctx.userId, fromIndex: resumeIndex(input) };
    active.watch = watchAnswer(sources, options, subscriber);
  }

  /** `subscription.stop`: tRPC answers it with `stopped`. False if the id is not one of ours. */
  #stop(id: RequestId, head: string): boolean {
    const active = this.#active.get(id);
    if (!active) return false;
    this.#forget(id, active);
    this.#send(head + wsStopped);
    return true;
  }

  #forget(id: RequestId, active: Active): void {
    this.#active.delete(id);
    this.#release(active);
  }

  #release(active: Active): void {
    active.stopped = true;
    active.watch?.stop();
    active.release?.();
  }

  #send(frame: string): void {
    if (this.#socket.readyState !== WebSocket.OPEN) return;
    corkForThisTurn(tcpSocketOf(this.#socket));
    this.#socket.send(frame);
  }

  /** A data frame: this subscription's head, then the event's bytes shared by every watcher. */
  #sendData(head: Buffer, data: Buffer): void {
    if (this.#socket.readyState !== WebSocket.OPEN) return;
    const socket = tcpSocketOf(this.#socket);
    corkForThisTurn(socket);
    writeTextFrame(socket, head, data);
  }
}

/**
 * The `ws` WebSocket class Spool's server makes: once the connection's context exists, each text frame
 * passes through its `WsStreams` before any listener (tRPC's) sees it.
 */
export class StreamingWebSocket extends WebSocket {
  #streams: WsStreams | undefined;

  serveStreams(context: Promise<SpoolContext>, deps: FastStreamDeps): void {
    this.#streams ??= new WsStreams(this, context, deps);
  }

  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'message' && this.#streams && args[1] === false && Buffer.isBuffer(args[0])) {
      const rest = this.#streams.take(args[0] as Buffer);
      if (rest === null) return true;
      args[0] = rest satisfies RawData;
    }
    return super.emit(event, ...args);
  }
}
