/**
 * The generator: stands in for the LLM worker. Writes every stream's tokens straight into Redis through
 * the real `RedisStreamStore` (or, for the floor, bare PUBLISH; for socket.io, its Redis emitter), in its
 * own process so that its CPU is neither the server's nor the client's. Each token's text is the wall
 * time of its append call.
 */
import { Emitter } from '@socket.io/redis-emitter';
import type { StreamEventBody } from '@spool/shared';
import { StreamAppender } from '../server/src/generation/stream-appender.ts';
import { createLogger } from '../server/src/logger.ts';
import { RedisStreamStore } from '../server/src/store/redis.ts';
import { connectRedis } from '../server/src/store/redis-connection.ts';
import { errorMessage, serveParent } from './ipc.ts';
import type { GeneratorApi, GeneratorHello, RunPlan, RunReport } from './protocol.ts';
import { redisTargetFromEnv } from './server-env.ts';
import { percentiles } from './stats.ts';
import { wallNow } from './time.ts';

type Send = (stream: number, index: number, body: StreamEventBody) => Promise<unknown>;

const { SPOOL_REDIS_PREFIX: prefix } = process.env;
// Both come from run.ts; without a prefix the store would write under the real 'spool' keys.
if (!prefix) throw new Error('SPOOL_REDIS_PREFIX must be set');
const redisTarget = redisTargetFromEnv(process.env);
const log = createLogger('warn');
// The same connection setup as a server's (auto-pipelined commands on one Redis), so appends batch as they would there.
const [redis, subscriber] = await Promise.all([
  connectRedis(redisTarget, 'commands', log),
  connectRedis(redisTarget, 'subscriber', log),
]);
const store = new RedisStreamStore({ redis, subscriber, prefix, log });

function bodyAt(index: number, tokens: number): StreamEventBody {
  if (index < tokens) return { type: 'token', text: String(wallNow()) };
  return { type: 'done', finishReason: 'stop', usage: null };
}

function sender(plan: RunPlan): Send {
  const { target } = plan;
  if (target.kind === 'spool') {
    return (stream, _index, body) => store.append(at(target.streamIds, stream), body);
  }
  if (target.kind === 'socketio') {
    const emit = socketIoEmitter();
    // The room is the stream's id, which the event carries too: a socket watching several streams tells them apart.
    return (stream, index, body) => {
      const streamId = at(target.streamIds, stream);
      return emit(streamId, JSON.stringify({ streamId, index, ...body }));
    };
  }
  // The JSON the append script publishes, byte for byte: the body's own fields, then `"index":N`; sharded on a cluster.
  const publish = redis.isCluster ? redis.spublish.bind(redis) : redis.publish.bind(redis);
  return (stream, index, body) => publish(at(target.channels, stream), JSON.stringify({ ...body, index }));
}

/**
 * `emitter.to(room).emit('event', json)`, as a socket.io application would feed its servers. The emitter
 * PUBLISHes and drops Redis's reply; the client handed to it keeps the reply, so that each event can be
 * awaited and its failure counted like an append's. Its channels start with the case's prefix.
 */
function socketIoEmitter(): (room: string, json: string) => Promise<unknown> {
  let reply: Promise<unknown> | null = null;
  const publisher = {
    publish: (channel: string, message: Buffer) => {
      reply = redis.publish(channel, message);
      return reply;
    },
  };
  const emitter = new Emitter(publisher, { key: prefix });
  return (room, json) => {
    emitter.to(room).emit('event', json);
    const published = reply;
    reply = null;
    if (!published) throw new Error('the socket.io emitter did not publish');
    return published;
  };
}

function at(names: string[], stream: number): string {
  const name = names[stream];
  if (name === undefined) throw new RangeError(`no stream ${stream}`);
  return name;
}

async function run(plan: RunPlan): Promise<RunReport> {
  const send = sender(plan);
  const streams = plan.target.kind === 'floor' ? plan.target.channels.length : plan.target.streamIds.length;
  const report: RunReport = {
    sent: 0,
    failed: 0,
    firstError: null,
    durationMs: 0,
    cpuUs: 0,
    lagP99Ms: null,
    lagMaxMs: null,
  };
  // Every failure is counted and the first one reported; the run goes on, as a generator would.
  const settle = (appended: Promise<unknown>, countSent = true): Promise<void> =>
    appended.then(
      () => {
        if (countSent) report.sent++;
      },
      (error: unknown) => {
        report.failed++;
        report.firstError ??= errorMessage(error);
      },
    );
  const cpuBefore = process.cpuUsage();
  const startedAt = performance.now();
  if (plan.rate > 0) {
    const lags = await paced(streams, plan.tokens, plan.rate, (stream, index) =>
      settle(send(stream, index, bodyAt(index, plan.tokens))),
    );
    const lag = percentiles(lags, lags.length);
    report.lagP99Ms = lag?.p99 ?? null;
    report.lagMaxMs = lag?.max ?? null;
  } else if (plan.target.kind === 'spool') {
    // One writer per stream producing as fast as it can, appending as Spool's worker does: what comes
    // while a write is in flight goes together in the next one.
    const onAppended = () => {
      report.sent++;
    };
    await Promise.all(
      plan.target.streamIds.map(async (streamId) => {
        const appender = new StreamAppender({ store, streamId, maxQueued: 256, nextIndex: 0, onAppended });
        for (let index = 0; index <= plan.tokens; index++)
          await settle(appender.write(bodyAt(index, plan.tokens)), false);
        await settle(appender.flush(), false);
      }),
    );
  } else {
    // One writer per stream, each publishing its next event as soon as the previous one is acknowledged.
    await Promise.all(
      Array.from({ length: streams }, async (_, stream) => {
        for (let index = 0; index <= plan.tokens; index++)
          await settle(send(stream, index, bodyAt(index, plan.tokens)));
      }),
    );
  }
  report.durationMs = performance.now() - startedAt;
  const cpu = process.cpuUsage(cpuBefore);
  report.cpuUs = cpu.user + cpu.system;
  return report;
}

/**
 * Fires `streams * (tokens + 1)` appends (each stream's tokens, then its `done`) from one timer loop:
 * stream k's event j is due at `(j + k / streams) / rate` seconds, so each stream keeps its own
 * schedule and the streams' starts are spread over the first interval. Appends are not awaited one by
 * one: a stream's next append is due long after the previous one completed, and one connection keeps
 * them in order anyway. Returns how late each one fired.
 */
async function paced(
  streams: number,
  tokens: number,
  rate: number,
  fire: (stream: number, index: number) => Promise<void>,
): Promise<Float64Array> {
  const slots = streams * (tokens + 1);
  const stepMs = 1000 / rate / streams;
  const lags = new Float64Array(slots);
  const inFlight: Promise<void>[] = [];
  const startedAt = performance.now();
  const dueAt = (slot: number) => startedAt + slot * stepMs;
  let next = 0;
  const { promise, resolve } = Promise.withResolvers<void>();
  const tick = () => {
    const now = performance.now();
    while (next < slots && dueAt(next) <= now) {
      lags[next] = now - dueAt(next);
      inFlight.push(fire(next % streams, Math.floor(next / streams)));
      next++;
    }
    if (next === slots) resolve();
    else setTimeout(tick, Math.max(0, dueAt(next) - performance.now()));
  };
  tick();
  await promise;
  await Promise.all(inFlight);
  return lags;
}

serveParent<GeneratorApi>(
  { pid: process.pid } satisfies GeneratorHello,
  {
    clock: async () => wallNow(),
    create: async ({ streamIds, leaseMs }) => {
      // 'local' is the user every request is, until authentication lands (server/src/app.ts).
      await Promise.all(streamIds.map((streamId) => store.create(streamId, { ownerId: 'local', leaseMs })));
      return null;
    },
    run,
  },
  async () => {
    await store.close();
    await Promise.all([redis.quit(), subscriber.quit()]);
  },
);
