import type http from 'node:http';
import { resumeIndex, type StreamInput, streamInputSchema } from '@spool/shared';
import { watchAnswer } from '../answers/watch-answer.ts';
import { QuietCheck } from '../delivery/quiet-check.ts';
import type { Subscriber } from '../delivery/subscriber.ts';
import { parseJson } from '../json.ts';
import { takeSubscriptionSlot } from '../limits/subscription-slots.ts';
import { requireUser, type SpoolContext, type UserContext } from '../trpc/init.ts';
import { backpressure } from './backpressure.ts';
import { type FastStreamDeps, prefetchMeta, streamFailure } from './fast-streams.ts';
import {
  sseConnected,
  sseConnectionParams,
  sseData,
  sseError,
  sseLastEventId,
  ssePing,
  ssePingMs,
  sseResponseHeaders,
  sseReturn,
  withLastEventId,
} from './trpc-wire.ts';
import { corkForThisTurn } from './turn-cork.ts';

/** The ping sweep runs this many times per ping interval: a quiet stream is pinged after 1 to 1.25 intervals. */
const quietSweeps = 4;

export interface SseStreamsOptions extends FastStreamDeps {
  /** The path `stream` is served at: `/trpc/stream`. */
  path: string;
  createContext: (options: {
    req: http.IncomingMessage;
    info: { connectionParams: Record<string, string | undefined> | null };
  }) => Promise<SpoolContext>;
}

export interface SseStreams {
  /** Serves the request if it is a well-formed `stream` subscription; false: tRPC's to answer. */
  handle(req: http.IncomingMessage, res: http.ServerResponse): boolean;
  /**
   * Ends every stream with no `return` event: to the client a dropped connection, which it reopens
   * (through the balancer, on another instance) from its last event id.
   */
  moveClients(): void;
  close(): void;
}

/** An open stream's keep-alive check, and how it is sent elsewhere (`moveClients`). */
interface OpenStream {
  quiet: QuietCheck;
  move(): void;
}

/**
 * `stream` over SSE on the fast path, byte for byte what tRPC's `httpSubscriptionLink` reads
 * (`trpc-wire.ts`): each event's frame is built once and the same bytes are written to every watcher,
 * corked per turn. Keep-alive pings come from one sweep over all open streams, not a timer per stream.
 * Requests tRPC would refuse for their shape (bad input, malformed connectionParams, batches) are left
 * to tRPC, so their errors stay exactly tRPC's.
 */
export function createSseStreams(options: SseStreamsOptions): SseStreams {
  const open = new Map<http.ServerResponse, OpenStream>();
  const pingMs = ssePingMs(options.router);
  let pinger: NodeJS.Timeout | undefined;
  const connected = sseConnected(options.router);
  const { metrics } = options.limits;

  const ping = () => {
    for (const [res, { quiet }] of open) if (quiet.sweep()) res.write(ssePing);
  };

  const serve = async (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    input: StreamInput,
    connectionParams: Record<string, string | undefined> | null,
  ) => {
    const quiet = new QuietCheck(quietSweeps);
    let gone = false;
    let stop = () => {};
    res.once('close', () => {
      if (gone) return; // ended by us: already released
      gone = true;
      open.delete(res);
      stop();
    });
    const waitForDrain = backpressure(
      () => res.writableLength,
      () => !res.destroyed && !res.writableEnded,
      options.maxBufferedBytes,
    );
    let ctx: UserContext | undefined;
    /** Once: the watch stops, and the response ends with `tail` (none: to the client, a dropped connection). */
    const finish = (tail: string | undefined, then?: () => void) => {
      if (gone) return;
      gone = true;
      open.delete(res);
      stop();
      if (tail === undefined) res.end(then);
      else res.end(tail, then);
    };
    const end = (failure?: unknown) =>
      finish(failure === undefined ? sseReturn : sseError(streamFailure(options, failure, ctx, input)));
    // Its connection closes too: a kept-alive one would bring the client back here.
    const move = () => {
      const { socket } = res;
      finish(undefined, () => socket?.destroySoon());
    };
    res.writeHead(200, sseResponseHeaders);
    res.write(connected);
    open.set(res, { quiet, move });
    if (pingMs !== undefined) pinger ??= setInterval(ping, pingMs / quietSweeps).unref();

    try {
      const context = await options.createContext({ req, info: { connectionParams } });
      ctx = { ...context, userId: requireUser(context) };
      if (options.limits.rate.refusedAlready(ctx.userId)) throw options.limits.rate.refusal();
      const meta = prefetchMeta(options.sources, input.streamId);
      await options.limits.rate.check(ctx.userId);
      if (gone) return;
      const release = takeSubscriptionSlot(ctx, options.limits, resumeIndex(input));
      const subscriber: Subscriber = {
        write: (encoded) => {
          quiet.mark();
          // The socket, not the response: a response that ends in this turn lets go of its socket still corked.
          if (res.socket) corkForThisTurn(res.socket);
          res.write(sseData(encoded));
          if (metrics && encoded.event.type === 'token') metrics.delivered.sse++;
        },
        writable: () => res.writableLength <= options.maxBufferedBytes,
        whenWritable: () => waitForDrain() ?? Promise.resolve(),
        end: () => end(),
        fail: (error) => end(error),
      };
      const watch = watchAnswer(
        options.sources,
        { streamId: input.streamId, ownerId: ctx.userId, fromIndex: resumeIndex(input), meta },
        subscriber,
      );
      stop = () => {
        watch.stop();
        release();
      };
    } catch (error) {
      end(error);
    }
  };

  return {
    handle(req, res) {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (req.method !== 'GET' || url.pathname !== options.path || url.searchParams.has('batch')) return false;
      const rawInput = url.searchParams.get('input');
      const input = streamInputSchema.safeParse(
        withLastEventId(rawInput === null ? undefined : parseJson(rawInput), sseLastEventId(req, url)),
      );
      if (!input.success) return false;
      let connectionParams: Record<string, string | undefined> | null;
      try {
        connectionParams = sseConnectionParams(url);
      } catch {
        return false; // tRPC answers malformed connectionParams with its own error
      }
      void serve(req, res, input.data, connectionParams);
      return true;
    },
    moveClients() {
      for (const { move } of [...open.values()]) move();
    },
    close() {
      clearInterval(pinger);
      pinger = undefined;
    },
  };
}
