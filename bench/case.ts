/**
 * One scenario on one path: start the processes, subscribe every stream, let the generator go, wait
 * for every stream's `done` (or the deadline), take the figures, and close everything whatever happened.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { connectRedis, type RedisClient } from '../server/src/store/redis-connection.ts';
import {
  type Subscribers,
  subscribeFloor,
  subscribeSdk,
  subscribeSocketIo,
  subscribeSse,
  subscribeWs,
} from './clients.ts';
import { collectGarbage } from './gc.ts';
import { ChildHandle, errorMessage } from './ipc.ts';
import { type LoopStats, monitorLoop } from './loop-monitor.ts';
import type { GeneratorApi, GeneratorHello, RunReport, ServerApi, ServerHello, ServerStats } from './protocol.ts';
import { Recorder, type Recording } from './recorder.ts';
import { deleteKeys, redisCpuSeconds } from './redis-admin.ts';
import { type Path, type Scenario, transportOf, watchedStreams } from './scenarios.ts';
import { redisTargetOf, serverEnv } from './server-env.ts';
import { type ClockOffset, measureOffset, sleep, wallNow, within } from './time.ts';

export interface CaseSettings {
  redisUrl: string;
  /** Set: the case runs on this Redis Cluster instead (the `-cluster` paths). */
  redisClusterNodes?: string[];
  /** The run's database; the server migrates it as it starts. */
  databaseUrl: string;
  /** Unique to this case; every key and channel it makes starts with it. */
  prefix: string;
  /** Streams sharing one WebSocket (ws, sdk, socketio). */
  streamsPerWs: number;
  serverNodeArgs: string[];
  /** Commands connection of the parent to the case's Redis, for deleting the case's keys. */
  redis: RedisClient;
  log: Logger;
}

export interface ServerUsage {
  cpuS: number;
  /** Of `cpuS`, the part spent in the kernel (socket writes and reads, mostly). */
  systemS: number;
  /** Of one core, over the measured window. */
  cpuPct: number;
  peakRssMb: number;
  endRssMb: number;
  /** RSS and heap (after a full GC) with every subscription open, before the first token. */
  startRssMb: number;
  startHeapMb: number;
  endHeapMb: number;
  /** Heap after a full GC once every stream has ended: compare with `startHeapMb` for leaks. */
  retainedHeapMb: number;
  /** RSS and heap (each after a full GC) with every subscription live minus before the first one, per subscription. */
  idleRssKbPerSubscription: number;
  idleHeapKbPerSubscription: number;
  loop: LoopStats;
}

export interface CaseResult {
  scenario: Scenario;
  path: Path;
  connections: number | null;
  recording: Recording | null;
  server: ServerUsage | null;
  generator: (RunReport & { cpuPct: number }) | null;
  clientCpuPct: number | null;
  clientLoop: LoopStats | null;
  /** The whole Redis instance's CPU over the window, % of one core: it is shared, others' load included. */
  redisCpuPct: number | null;
  clock: ClockOffset | null;
  /** Seconds from the go to the last `done` (or the deadline). */
  windowS: number | null;
  timedOut: boolean;
  /** The case could not run to its end: the reason. */
  failure: string | null;
  /** Things that went wrong while closing. */
  warnings: string[];
}

/** A lease no run outlives: the generator never renews it, and readers must not end the streams as abandoned. */
const leaseMs = 10 * 60_000;
const startTimeoutMs = 30_000;
const subscribeTimeoutMs = 60_000;
const callTimeoutMs = 10_000;
const stopTimeoutMs = 10_000;

/** How long the run itself may take: the schedule plus slack, or a fixed bound when unbounded. */
export function runTimeoutMs(scenario: Scenario): number {
  if (scenario.rate === 0) return 120_000;
  return ((scenario.tokens + 1) / scenario.rate) * 1000 + 30_000;
}

/** Upper bound of a whole case, setup and teardown included, for the run's watchdog. */
export function caseBudgetMs(scenario: Scenario): number {
  return 2 * startTimeoutMs + subscribeTimeoutMs + runTimeoutMs(scenario) + 3 * stopTimeoutMs;
}

export async function runCase(scenario: Scenario, path: Path, settings: CaseSettings): Promise<CaseResult> {
  const result: CaseResult = {
    scenario,
    path,
    connections: null,
    recording: null,
    server: null,
    generator: null,
    clientCpuPct: null,
    clientLoop: null,
    redisCpuPct: null,
    clock: null,
    windowS: null,
    timedOut: false,
    failure: null,
    warnings: [],
  };
  // Closed in reverse order of opening, each whatever happened to the others.
  const cleanups: Array<() => Promise<string[]>> = [];
  cleanups.push(async () => {
    await deleteKeys(settings.redis, `${settings.prefix}:*`);
    return [];
  });
  // The generator writes every stream; the clients watch the first `watched` of them (all, but for SSE).
  const watched = watchedStreams(scenario, path);
  const recorder = new Recorder(watched, scenario.tokens);
  try {
    const streamIds = Array.from({ length: scenario.streams }, () => randomUUID());
    const env = serverEnv(settings);
    const [generator, server] = await startChildren(path, env, settings.serverNodeArgs, cleanups);
    const channels = streamIds.map((streamId) => `${settings.prefix}:{${streamId}}`);

    if (server && path !== 'socketio') await generator.call('create', { streamIds, leaseMs }, subscribeTimeoutMs);
    const idle = server ? await server.call('stats', { collect: true, resetPeak: false }, callTimeoutMs) : null;
    const subscribers = await subscribe(path, server, settings, cleanups, {
      streamIds: streamIds.slice(0, watched),
      channels,
      recorder,
    });
    cleanups.push(async () => {
      await subscribers.close();
      return [];
    });
    result.connections = subscribers.connections;
    if (server) await untilSubscribed(server, watched, recorder);

    result.clock = await measureOffset(() => generator.call('clock', null, callTimeoutMs), 30);
    recorder.setClockOffset(result.clock.offsetMs);

    const serverBefore = server ? await server.call('stats', { collect: true, resetPeak: true }, callTimeoutMs) : null;
    collectGarbage();
    await sleep(30); // the pause's late timer and GC entry must land before the loop monitor starts
    const redisCpuBefore = await redisCpuSeconds(settings.redis);
    const clientCpuBefore = process.cpuUsage();
    const clientLoop = monitorLoop();
    cleanups.push(async () => {
      clientLoop.stop();
      return [];
    });
    const startedAt = wallNow();
    const target =
      path === 'socketio'
        ? { kind: 'socketio' as const, streamIds }
        : server
          ? { kind: 'spool' as const, streamIds }
          : { kind: 'floor' as const, channels };
    const timeoutMs = runTimeoutMs(scenario);
    const run = generator.call('run', { target, tokens: scenario.tokens, rate: scenario.rate }, timeoutMs);
    const finished = await within(Promise.all([run, recorder.allFinished]), timeoutMs);
    // On a timeout the generator may still have finished (the clients did not): its figures count.
    const ran = finished.done ? { done: true as const, value: finished.value[0] } : await within(run, 0);
    const serverAfter = server ? await server.call('stats', { collect: false, resetPeak: false }, callTimeoutMs) : null;
    const windowMs = wallNow() - startedAt;
    const clientCpu = process.cpuUsage(clientCpuBefore);
    const redisCpu = (await redisCpuSeconds(settings.redis)) - redisCpuBefore;
    result.clientLoop = clientLoop.stats();

    result.timedOut = !finished.done;
    result.windowS = windowMs / 1000;
    result.clientCpuPct = ((clientCpu.user + clientCpu.system) / 1000 / windowMs) * 100;
    result.redisCpuPct = ((redisCpu * 1000) / windowMs) * 100;
    if (idle && serverBefore && serverAfter) {
      // After the window: what the heap still holds once the streams have ended, garbage collected.
      const retained = await server?.call('stats', { collect: true, resetPeak: false }, callTimeoutMs);
      result.server = serverUsage(idle, serverBefore, serverAfter, retained?.heapUsedBytes ?? Number.NaN, watched);
    }
    if (ran.done) result.generator = { ...ran.value, cpuPct: (ran.value.cpuUs / 1000 / windowMs) * 100 };
  } catch (error) {
    result.failure = errorMessage(error);
  } finally {
    result.recording = recorder.result();
    for (const cleanup of cleanups.reverse()) {
      try {
        result.warnings.push(...(await cleanup()));
      } catch (error) {
        result.warnings.push(`cleanup failed: ${errorMessage(error)}`);
      }
    }
  }
  return result;
}

interface Watching {
  /** The streams to watch, stream k being `streamIds[k]`. */
  streamIds: string[];
  /** Every stream's Redis channel, for the floor. */
  channels: string[];
  recorder: Recorder;
}

/** Opens `path`'s client connections and subscribes to the streams; the floor's resolves once Redis confirmed them. */
async function subscribe(
  path: Path,
  server: Server | null,
  settings: CaseSettings,
  cleanups: Array<() => Promise<string[]>>,
  { streamIds, channels, recorder }: Watching,
): Promise<Subscribers> {
  if (!server) return subscribeFloor(await floorConnection(settings, cleanups), channels, recorder);
  const { url } = server.hello;
  switch (transportOf(path)) {
    case 'sse':
      return subscribeSse(url, streamIds, recorder);
    case 'sdk':
      return subscribeSdk(url, streamIds, settings.streamsPerWs, recorder);
    case 'socketio':
      return subscribeSocketIo(url, streamIds, settings.streamsPerWs, recorder, subscribeTimeoutMs);
    default: // ws: the floor, without a server, was answered above
      return subscribeWs(url, streamIds, settings.streamsPerWs, recorder);
  }
}

/** The floor's one subscriber connection, set up as the server sets up its own. */
async function floorConnection(settings: CaseSettings, cleanups: Array<() => Promise<string[]>>): Promise<RedisClient> {
  const redis = await connectRedis(redisTargetOf(settings), 'subscriber', settings.log);
  cleanups.push(async () => {
    await redis.quit();
    return [];
  });
  return redis;
}

type Generator = ChildHandle<GeneratorApi, GeneratorHello>;
type Server = ChildHandle<ServerApi, ServerHello>;

/** The generator, and the server unless this is the floor; each registered for stopping as soon as it is up. */
async function startChildren(
  path: Path,
  env: Record<string, string>,
  serverNodeArgs: string[],
  cleanups: Array<() => Promise<string[]>>,
): Promise<[Generator, Server | null]> {
  const starting = [
    ChildHandle.start<GeneratorApi, GeneratorHello>(
      'generator',
      new URL('./generator-process.ts', import.meta.url),
      env,
      startTimeoutMs,
    ),
    transportOf(path) === 'floor'
      ? Promise.resolve(null)
      : ChildHandle.start<ServerApi, ServerHello>(
          path === 'socketio' ? 'socket.io server' : 'server',
          new URL(serverFileOf(path), import.meta.url),
          env,
          startTimeoutMs,
          serverNodeArgs,
        ),
  ] as const;
  const [generator, server] = await Promise.allSettled(starting);
  for (const started of [generator, server]) {
    if (started.status === 'fulfilled' && started.value) {
      const child = started.value;
      cleanups.push(() => child.stop(stopTimeoutMs));
    }
  }
  if (generator.status === 'rejected') throw generator.reason;
  if (server.status === 'rejected') throw server.reason;
  return [generator.value, server.value];
}

/**
 * Waits until the server's Redis subscriber has confirmed every stream's channel, so that no token is
 * appended before its reader is live (it would still arrive, replayed from the log, but later); for
 * socket.io, until the server counts every room join its client saw acknowledged.
 */
async function untilSubscribed(server: Server, streams: number, recorder: Recorder): Promise<void> {
  const deadline = Date.now() + subscribeTimeoutMs;
  for (;;) {
    const { liveListeners } = await server.call('stats', { collect: false, resetPeak: false }, callTimeoutMs);
    if (liveListeners === streams) return;
    if (liveListeners < 0) throw new Error('the server is not on the Redis store');
    if (recorder.errorCount > 0) throw new Error(`subscriptions failed: ${recorder.result().errors.join('; ')}`);
    if (Date.now() > deadline) {
      throw new Error(`only ${liveListeners}/${streams} subscriptions were live after ${subscribeTimeoutMs} ms`);
    }
    await sleep(50);
  }
}

/**
 * `idle`: before the first subscription; `before`: every subscription live, before the go; `after`: the
 * window's end.
 */
function serverUsage(
  idle: ServerStats,
  before: ServerStats,
  after: ServerStats,
  retainedHeapBytes: number,
  subscriptions: number,
): ServerUsage {
  const cpuS = (after.cpuUserUs - before.cpuUserUs + after.cpuSystemUs - before.cpuSystemUs) / 1e6;
  const windowS = (after.atMs - before.atMs) / 1000;
  const mb = (bytes: number) => bytes / 2 ** 20;
  const kbEach = (bytes: number) => bytes / 1024 / subscriptions;
  return {
    cpuS,
    systemS: (after.cpuSystemUs - before.cpuSystemUs) / 1e6,
    cpuPct: (cpuS / windowS) * 100,
    peakRssMb: mb(after.peakRssBytes),
    endRssMb: mb(after.rssBytes),
    startRssMb: mb(before.rssBytes),
    startHeapMb: mb(before.heapUsedBytes),
    endHeapMb: mb(after.heapUsedBytes),
    retainedHeapMb: mb(retainedHeapBytes),
    idleRssKbPerSubscription: kbEach(before.rssBytes - idle.rssBytes),
    idleHeapKbPerSubscription: kbEach(before.heapUsedBytes - idle.heapUsedBytes),
    loop: after.loop,
  };
}

/** The server process a path runs against. */
function serverFileOf(path: Path): string {
  if (path === 'socketio') return './socketio-process.ts';
  return path.endsWith('-2p') ? './server-cluster-process.ts' : './server-process.ts';
}
