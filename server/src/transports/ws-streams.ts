import { resumeIndex, type StreamInput, streamInputSchema } from '@spool/shared';
import { TRPCError } from '@trpc/server';
import type { TRPCClientOutgoingMessage } from '@trpc/server/unstable-core-do-not-import';
import { type RawData, WebSocket } from 'ws';
import { watchAnswer } from '../answers/watch-answer.ts';
import type { EncodedEvent } from '../delivery/encoded-event.ts';
import type { Subscriber, Watch } from '../delivery/subscriber.ts';
import { parseJson } from '../json.ts';
import { takeSubscriptionSlot } from '../limits/subscription-slots.ts';
import type { StreamMeta } from '../store/types.ts';
import { requireUser, type SpoolContext, type UserContext } from '../trpc/init.ts';
import { socketBackpressure } from './backpressure.ts';
import { type FastStreamDeps, prefetchMeta, streamFailure } from './fast-streams.ts';
import {
  type RequestId,
  withLastEventId,
  wsData,
  wsError,
  wsFrameHead,
  wsRequestsOf,
  wsStarted,
  wsStopped,
} from './trpc-wire.ts';
import { corkForThisTurn } from './turn-cork.ts';
import { tcpSocketOf, writeTextFrame } from './ws-frames.ts';

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
  readonly #active = new Map<RequestId, WsSubscription>();
  readonly #waitForDrain: () => Promise<void> | undefined;

  constructor(socket: WebSocket, context: Promise<SpoolContext>, deps: FastStreamDeps) {
    this.#socket = socket;
    this.#context = context;
    this.#deps = deps;
    this.#waitForDrain = socketBackpressure(socket, deps.maxBufferedBytes);
    // tRPC reports a context that failed itself; the subscriptions waiting on it answer on their own.
    context.catch(() => {});
    socket.once('close', () => {
      for (const subscription of this.#active.values()) subscription.release();
      this.#active.clear();
    });
  }

  /** Takes the requests of a text frame that are ours; returns the frame tRPC should still get, or null. */
  take(data: Buffer): Buffer | null {
    const parsed = parseJson(data.toString());
    const requests = wsRequestsOf(this.#deps.router, parsed);
    if (!requests) return data;
    const rest = (Array.isArray(parsed) ? parsed : [parsed]).filter((_, i) => !this.#takeOne(requests[i]));
    if (rest.length === requests.length) return data;
    if (rest.length === 0) return null;
    return Buffer.from(JSON.stringify(Array.isArray(parsed) ? rest : rest[0]));
  }

  /** Over the bound only while open: a closing socket drops what is written, and its 'close' ends everything. */
  writable(): boolean {
    return this.#socket.readyState !== WebSocket.OPEN || this.#socket.bufferedAmount <= this.#deps.maxBufferedBytes;
  }

  whenWritable(): Promise<void> {
    return this.#waitForDrain() ?? Promise.resolve();
  }

  /** Ends a subscription as tRPC does once its generator returned or threw: the error if any, then `stopped`. */
  finish(subscription: WsSubscription, failure?: unknown): void {
    if (subscription.stopped) return;
    this.#forget(subscription);
    if (failure !== undefined) this.#sendError(subscription, failure);
    this.send(subscription.head + wsStopped);
  }

  send(frame: string): void {
    if (this.#socket.readyState !== WebSocket.OPEN) return;
    corkForThisTurn(tcpSocketOf(this.#socket));
    this.#socket.send(frame);
  }

  /** A data frame: a subscription's head, then the event's bytes shared by every watcher. */
  sendData(head: Buffer, encoded: EncodedEvent): void {
    if (this.#socket.readyState !== WebSocket.OPEN) return;
    const socket = tcpSocketOf(this.#socket);
    corkForThisTurn(socket);
    writeTextFrame(socket, head, wsData(encoded));
    const { metrics } = this.#deps.limits;
    if (metrics && encoded.event.type === 'token') metrics.delivered.ws++;
  }

  #takeOne(request: TRPCClientOutgoingMessage | undefined): boolean {
    if (!request || request.id === null) return false;
    const { id, jsonrpc } = request;
    const head = wsFrameHead(id, jsonrpc);
    if (request.method === 'subscription.stop') return this.#stop(id, head);
    if (request.method !== 'subscription' || request.params.path !== 'stream') return false;
    const { input, lastEventId } = request.params;
    const parsed = streamInputSchema.safeParse(withLastEventId(input, lastEventId));
    if (!parsed.success) return false;
    const subscription = new WsSubscription(this, id, head, parsed.data);
    if (this.#active.has(id)) {
      this.#sendError(subscription, new TRPCError({ code: 'BAD_REQUEST', message: `Duplicate id ${id}` }));
      return true;
    }
    this.#active.set(id, subscription);
    void this.#start(subscription);
    return true;
  }

  async #start(subscription: WsSubscription): Promise<void> {
    const { limits, sources } = this.#deps;
    try {
      const context = await this.#context;
      subscription.ctx = { ...context, userId: requireUser(context) };
      // Stopped meanwhile: tRPC does not call the procedure of an aborted subscription.
      if (subscription.stopped) return;
      // A user refused already this minute is refused at once: no store round trip for the meta either.
      if (limits.rate.refusedAlready(subscription.ctx.userId)) throw limits.rate.refusal();
      subscription.meta = prefetchMeta(sources, subscription.input.streamId);
      await limits.rate.check(subscription.ctx.userId);
    } catch (error) {
      // As tRPC does for a failure before the subscription starts: the error alone (none once stopped).
      if (subscription.stopped) return;
      this.#forget(subscription);
      this.#sendError(subscription, error);
      return;
    }
    if (subscription.stopped) return;
    this.send(subscription.head + wsStarted);
    const { ctx, input } = subscription;
    try {
      subscription.slot = takeSubscriptionSlot(ctx, limits, resumeIndex(input));
    } catch (error) {
      this.finish(subscription, error);
      return;
    }
    const options = {
      streamId: input.streamId,
      ownerId: ctx.userId,
      fromIndex: resumeIndex(input),
      meta: subscription.meta,
    };
    subscription.watch = watchAnswer(sources, options, subscription);
  }

  /** `subscription.stop`: tRPC answers it with `stopped`. False if the id is not one of ours. */
  #stop(id: RequestId, head: string): boolean {
    const subscription = this.#active.get(id);
    if (!subscription) return false;
    this.#forget(subscription);
    this.send(head + wsStopped);
    return true;
  }

  #forget(subscription: WsSubscription): void {
    if (this.#active.get(subscription.id) === subscription) this.#active.delete(subscription.id);
    subscription.release();
  }

  #sendError(subscription: WsSubscription, cause: unknown): void {
    const { head, ctx, input } = subscription;
    // An error many requests share (the minute's RATE_LIMITED) is shaped and serialized once.
    const shared = typeof cause === 'object' && cause !== null;
    let frame = shared ? errorFrames.get(cause) : undefined;
    if (frame === undefined) {
      frame = wsError(streamFailure(this.#deps, cause, ctx, input));
      if (shared) errorFrames.set(cause, frame);
    }
    this.send(head + frame);
  }
}

/** Error frames by their error (the server's own formatter depends on nothing else), while the error lives. */
const errorFrames = new WeakMap<object, string>();

/** One `stream` subscription of a WebSocket: its frames' head, its slot, its watch. A class: there is one per watcher. */
class WsSubscription implements Subscriber {
  readonly id: RequestId;
  readonly head: string;
  readonly input: StreamInput;
  ctx: UserContext | undefined;
  slot: (() => void) | undefined;
  /** Asked for beside the rate check. */
  meta: Promise<StreamMeta | null> | undefined;
  watch: Watch | undefined;
  stopped = false;
  readonly #connection: WsStreams;
  #headBytes: Buffer | undefined;

  constructor(connection: WsStreams, id: RequestId, head: string, input: StreamInput) {
    this.#connection = connection;
    this.id = id;
    this.head = head;
    this.input = input;
  }

  write(encoded: EncodedEvent): void {
    this.#headBytes ??= Buffer.from(this.head);
    this.#connection.sendData(this.#headBytes, encoded);
  }

  writable(): boolean {
    return this.#connection.writable();
  }

  whenWritable(): Promise<void> {
    return this.#connection.whenWritable();
  }

  end(): void {
    this.#connection.finish(this);
  }

  fail(error: unknown): void {
    this.#connection.finish(this, error);
  }

  /** Idempotent: the slot is given back once. */
  release(): void {
    this.stopped = true;
    this.watch?.stop();
    this.slot?.();
    this.slot = undefined;
  }
}

/**
 * The `ws` WebSocket class Spool's server makes: once the connection's context exists, each text frame
 * passes through its `WsStreams` before any listener (tRPC's) sees it.
 */
export class StreamingWebSocket extends WebSocket {
  #streams: WsStreams | undefined;
  #withinBudget: ((bytes: number) => boolean) | undefined;
  #overBudget: (() => void) | undefined;
  #cutOff = false;

  serveStreams(context: Promise<SpoolContext>, deps: FastStreamDeps): void {
    this.#streams ??= new WsStreams(this, context, deps);
  }

  /** Counts every frame with `withinBudget` before anything parses it; past it, `overBudget` once, then frames are dropped. */
  limitFrames(withinBudget: (bytes: number) => boolean, overBudget: () => void): void {
    this.#withinBudget = withinBudget;
    this.#overBudget = overBudget;
  }

  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'message' && this.#withinBudget) {
      if (this.#cutOff) return true;
      if (!this.#withinBudget(byteLengthOf(args[0] as RawData))) {
        this.#cutOff = true;
        this.#overBudget?.();
        return true;
      }
    }
    if (event === 'message' && this.#streams && args[1] === false && Buffer.isBuffer(args[0])) {
      const rest = this.#streams.take(args[0] as Buffer);
      if (rest === null) return true;
      args[0] = rest satisfies RawData;
    }
    return super.emit(event, ...args);
  }
}

function byteLengthOf(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((sum, part) => sum + part.length, 0);
  return data.byteLength;
}
