/**
 * `npm run bench`: S streams x T tokens at R tokens/s, generator -> Redis -> Spool -> tRPC client over
 * WebSocket and over SSE, beside the floor (raw Redis PUBLISH -> one SUBSCRIBE, no server) and the peer
 * (generator -> socket.io Redis emitter -> socket.io server -> socket.io client), for each scenario in
 * one run. Three processes per case (server, generator, this one as the client) so that the client's
 * CPU does not hide the server's. See `--help`.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { createLogger } from '../server/src/logger.ts';
import { connectRedis, type RedisClient } from '../server/src/store/redis-connection.ts';
import { type LocalRedisCluster, startLocalRedisCluster } from '../server/test/support/redis-cluster.ts';
import { type CaseResult, caseBudgetMs, runCase } from './case.ts';
import { createBenchDatabase } from './database.ts';
import { errorMessage, killAllChildren } from './ipc.ts';
import { type OverheadResult, overheadTable, runOpenAIOverhead } from './openai-overhead.ts';
import { deleteKeys } from './redis-admin.ts';
import { caseLine, notes, table, targetsSection } from './report.ts';
import {
  allPaths,
  clusterPaths,
  type Options,
  onCluster,
  parseOptions,
  type Scenario,
  scenarioKey,
  streamsPerWs,
  transportOf,
  twoProcessPaths,
  UsageError,
  usage,
  watchedStreams,
} from './scenarios.ts';
import { runTtft, type TtftResult, type TtftSettings, ttftTable, ttftTargets } from './ttft.ts';

const redisUrl = process.env.SPOOL_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const postgresUrl = process.env.SPOOL_BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

function options(): Options | null {
  try {
    const parsed = parseOptions(process.argv.slice(2));
    if (parsed !== 'help') return parsed;
    console.log(usage);
  } catch (error) {
    // parseArgs throws TypeErrors with ERR_PARSE_ARGS_* codes for unknown or malformed flags.
    if (!(error instanceof UsageError || error instanceof TypeError)) throw error;
    console.error(`${error.message}\n${usage}`);
    process.exitCode = 2;
  }
  return null;
}

async function main(opts: Options): Promise<number> {
  const runPrefix = `spoolbench-${randomBytes(4).toString('hex')}`;
  const log = createLogger('warn');
  const redis = await connectRedis({ url: redisUrl }, 'commands', log).catch((error: unknown) => {
    throw new Error(`cannot reach Redis at ${redisUrl} (set SPOOL_BENCH_REDIS_URL): ${errorMessage(error)}`);
  });
  const database = await createBenchDatabase(postgresUrl).catch((error: unknown) => {
    throw new Error(`cannot reach PostgreSQL at ${postgresUrl} (set SPOOL_BENCH_DATABASE_URL): ${errorMessage(error)}`);
  });
  const pathsOf = (scenario: Scenario) => {
    const paths = opts.paths ?? [...allPaths, ...(scenario.twoProcesses ? twoProcessPaths : [])];
    // --cluster: the cluster's twin of each path that has one, after the single Redis ones.
    const twins = opts.cluster
      ? clusterPaths.filter((twin) => paths.some((path) => transportOf(path) === transportOf(twin)))
      : [];
    return [...paths, ...twins.filter((twin) => !paths.includes(twin))];
  };
  const cases = opts.scenarios.flatMap((scenario) => pathsOf(scenario).map((path) => ({ scenario, path })));
  const cluster = cases.some(({ path }) => onCluster(path)) ? await startBenchCluster(log) : null;

  // Every case has its own deadlines; this is the backstop if something hangs outside them.
  const ttftBudgetMs = opts.ttft === 'skip' ? 0 : 300_000;
  const budgetMs = cases.reduce((sum, { scenario }) => sum + caseBudgetMs(scenario), 60_000 + ttftBudgetMs);
  const watchdog = setTimeout(() => {
    console.error(`bench: over its ${Math.round(budgetMs / 1000)} s budget; killing its processes`);
    killAllChildren();
    process.exit(3);
  }, budgetMs);
  watchdog.unref();

  const info = await redis.info('server');
  const redisVersion = /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
  console.log(
    `Spool bench: node ${process.version}, ${os.cpus().length} cores (load ${os.loadavg()[0]?.toFixed(2)}), ` +
      `Redis ${redisVersion} at ${redisUrl}, key prefix ${runPrefix}, PostgreSQL database ${new URL(database.url).pathname.slice(1)}`,
  );
  if (cluster) {
    console.log(
      `Redis Cluster (the -cluster paths): 3 masters, no replicas, local, at ${cluster.local.nodes.join(', ')}`,
    );
  }
  console.log(
    `Cases: ${opts.scenarios.map((scenario) => `${scenarioKey(scenario)} x ${pathsOf(scenario).join(', ')}`).join('; ')}${opts.quick ? ' (quick)' : ''}. ` +
      `${connectionsText(opts)}; floor: one SUBSCRIBE connection for all streams.\n`,
  );

  const results: CaseResult[] = [];
  const ttft: TtftResult[] = [];
  const ttftPlan: Pick<TtftSettings, 'sequential' | 'warmUp' | 'bursts'> = opts.quick
    ? {
        sequential: 50,
        warmUp: { sequential: 50, bursts: 1, burstSize: 20 },
        bursts: [
          { size: 50, rounds: 2, transport: 'ws' },
          { size: 200, rounds: 1, transport: 'ws' },
        ],
      }
    : {
        sequential: 200,
        warmUp: { sequential: 200, bursts: 2, burstSize: 50 },
        bursts: [
          { size: 50, rounds: 10, transport: 'ws' },
          { size: 200, rounds: 5, transport: 'ws' },
          { size: 1000, rounds: 1, transport: 'ws' },
          { size: 1000, rounds: 1, transport: 'sse' },
        ],
      };
  const overheadCounts = { concurrent: 50, rounds: opts.quick ? 2 : 6 };
  let overhead: OverheadResult | undefined;
  let leftover = 0;
  try {
    for (const [n, { scenario, path }] of cases.entries()) {
      const prefix = `${runPrefix}-${n + 1}`;
      const clustered = onCluster(path) && cluster ? cluster : null;
      const result = await runCase(scenario, path, {
        redisUrl,
        redisClusterNodes: clustered?.local.nodes,
        databaseUrl: database.url,
        prefix,
        streamsPerWs: streamsPerWs(scenario, opts.streamsPerWs),
        serverNodeArgs: opts.serverNodeArgs,
        redis: clustered?.redis ?? redis,
        log,
      });
      results.push(result);
      console.log(caseLine(result));
    }
    if (opts.ttft !== 'skip') {
      for (const mode of ['embedded', 'redis+postgres', 'api+worker'] as const) {
        const settings = { ...ttftPlan, redisUrl, prefix: `${runPrefix}-ttft`, databaseUrl: database.url };
        const result = await runTtft(mode, settings);
        await deleteKeys(redis, `${settings.prefix}:*`);
        ttft.push(result);
        console.log(`time to first token, ${mode}: ${result.failure ?? 'done'}`);
      }
      const prefix = `${runPrefix}-openai`;
      overhead = await runOpenAIOverhead({ ...overheadCounts, redisUrl, prefix, databaseUrl: database.url });
      await deleteKeys(redis, `${prefix}:*`);
      console.log(`time to first token through an OpenAI-compatible server: ${overhead.failure ?? 'done'}`);
    }
  } finally {
    // Each case deletes its own keys; this catches what a failed cleanup left.
    leftover = await deleteKeys(redis, `${runPrefix}-*`);
    await redis.quit();
    await cluster?.stop();
    await database.drop();
    clearTimeout(watchdog);
  }
  if (ttft.length > 0) {
    console.log(`\n## Time to first token\n\n${ttftTable(ttft)}\n\n${ttftTargets(ttft)}\n`);
    console.log(
      'From calling sendMessage to the first token event, the demo model emitting at once (and a second token 100 ms ' +
        'later), each phase after the last. ws: everything over one WebSocket; sse: each stream its own EventSource, ' +
        'each sendMessage its own HTTP request. Server CPU: user + system of the server process over the phase, until ' +
        'every answer of it ended, per answer. Warm-up first (not measured): ' +
        `${ttftPlan.warmUp.sequential} answers one after another and ${ttftPlan.warmUp.bursts} bursts of ${ttftPlan.warmUp.burstSize}.\n`,
    );
  }
  if (overhead) {
    console.log(
      `## Spool's overhead on time to first token (OpenAI-compatible model server)\n\n${overheadTable(overhead, overheadCounts)}\n`,
    );
    console.log(
      'The scripted model server (the tests\u2019 own) answers its first chunk at once. Direct: the `openai` client streaming a ' +
        'chat completion from it; Spool: sendMessage, then the stream subscription, to the first token, Spool calling the same ' +
        'server (Redis + PostgreSQL mode). Batches of the two alternate.\n',
    );
  }
  const ttftFailed = ttft.some((result) => result.failure !== null) || Boolean(overhead?.failure);
  if (results.length === 0) return ttftFailed ? 1 : 0;

  console.log(`\n## Results\n\n${table(results)}\n`);
  console.log(`## Targets\n\n${targetsSection(results, opts.quick)}\n`);
  console.log(
    '## Notes\n\nLatency: receipt time in the client process minus the append time the generator wrote into the ' +
      'token, corrected by the measured offset between the two processes\u2019 clocks. tokens/s: delivered tokens ' +
      'over first append to last receipt. Server CPU: user+system over the measured window (go to last `done`), ' +
      '% of one core; per delivered event: that CPU over the tokens and `done` events the clients received. ' +
      'p99 vs floor: p99 over the floor\u2019s p99 in the same scenario. Per idle subscription: server RSS (and heap) ' +
      'with every subscription live, before the first token, minus before the first subscription, each after a ' +
      'full GC, over the subscriptions. Each case starts a fresh server (no warm-up) on its own key prefix; the ' +
      'server and this client process are garbage-collected just before the window, outside it. socketio: ' +
      'socket.io 4 with @socket.io/redis-adapter, a room per stream, fed by @socket.io/redis-emitter with the ' +
      'same events (each carrying its stream id), WebSocket transport only.\n',
  );
  console.log(notes(results));
  if (leftover > 0) console.log(`\n${leftover} keys were left by a failed cleanup and deleted at the end.`);
  const failed = results.some((result) => result.failure !== null || result.timedOut);
  return failed || ttftFailed ? 1 : 0;
}

/** The local Redis Cluster of the `-cluster` paths, and a connection to it for the cases' keys and CPU figures. */
async function startBenchCluster(log: ReturnType<typeof createLogger>) {
  const local: LocalRedisCluster = await startLocalRedisCluster();
  try {
    const redis: RedisClient = await connectRedis({ clusterNodes: local.nodes }, 'commands', log);
    return {
      local,
      redis,
      async stop() {
        await redis.quit();
        await local.stop();
      },
    };
  } catch (error) {
    await local.stop();
    throw error;
  }
}

/** How the clients connect, with each scenario's exceptions. */
function connectionsText(opts: Options): string {
  const except = (differs: (scenario: Scenario) => string | null) => {
    const exceptions = opts.scenarios.map(differs).filter((text) => text !== null);
    return exceptions.length > 0 ? ` (${exceptions.join(', ')})` : '';
  };
  const perWs = (n: number) => (n === 1 ? 'stream' : `${n} streams`);
  const ws = opts.streamsPerWs ?? 1;
  const wsExceptions = except((scenario) => {
    const n = streamsPerWs(scenario, opts.streamsPerWs);
    return n === ws ? null : `${scenarioKey(scenario)}: ${perWs(n)}`;
  });
  const sseExceptions = except((scenario) => {
    const n = watchedStreams(scenario, 'sse');
    return n === scenario.streams ? null : `${scenarioKey(scenario)}: the first ${n.toLocaleString('en-US')} only`;
  });
  return (
    `WS, SDK and socket.io: one connection per ${perWs(ws)}${wsExceptions}; ` +
    `SSE: one HTTP connection per stream, read by a minimal reader of tRPC's SSE format${sseExceptions}`
  );
}

process.once('SIGINT', () => {
  killAllChildren();
  process.exit(130);
});

const opts = options();
if (opts) {
  try {
    process.exitCode = await main(opts);
  } catch (error) {
    console.error(`bench failed: ${errorMessage(error)}`);
    killAllChildren();
    process.exitCode = 1;
  }
  // Everything is closed by now; if a stray handle still holds the process, say so and end anyway.
  setTimeout(() => {
    console.error('bench: something was still open 5 s after the end; exiting');
    process.exit(process.exitCode ?? 1);
  }, 5_000).unref();
}
