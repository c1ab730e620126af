import { onTestFinished } from 'vitest';
import { type SpoolServer, type StartOptions, startSpool } from '../../src/app.ts';
import { loadConfig, type SpoolConfig } from '../../src/config.ts';
import type { RedisTarget } from '../../src/store/redis-connection.ts';
import { testDatabaseUrl } from './database.ts';
import { testLog, testRedisUrl, uniquePrefix } from './redis.ts';

export interface TestServerOptions {
  /** Set: the Redis store under this key prefix. Unset: the in-process store. */
  redisPrefix?: string;
  /** The Redis (or cluster) to use with `redisPrefix`; default the shared one. */
  redis?: RedisTarget;
  demoTokens?: number;
  demoTokensPerSecond?: number;
  leaseMs?: number;
  wsMaxBufferedBytes?: number;
  /** Default: this test file's own migrated PostgreSQL database. */
  database?: Partial<SpoolConfig['database']>;
  finalRetryMaxMs?: number;
  onQuery?: StartOptions['onQuery'];
  /** Default: the demo model. */
  provider?: StartOptions['provider'];
  /** Answers from an OpenAI-compatible server instead of the demo model. */
  openai?: SpoolConfig['openai'];
  /** Default: the development mode (one local user). */
  auth?: SpoolConfig['auth'];
  maxStreamsPerUser?: number;
  wsPingMs?: number;
  /** Default: warnings and worse on stdout. */
  log?: StartOptions['log'];
  /** The bearer token `/metrics` asks for; default none. */
  metricsToken?: string;
  /** How long `close()` lets answers run; default 0 (tests stop at once). */
  drainMs?: number;
  /** The chat page's built files; default none. */
  webDir?: string;
  /** Default: no practical limit (tests of the limits set them). */
  abuse?: Partial<SpoolConfig['abuse']>;
  /** Answers starting at once, and how long one waits its turn; default the configuration's. */
  starts?: Partial<Pick<SpoolConfig, 'maxStarting' | 'startDeadlineMs'>>;
}

/** A real Spool server on port 0, closed when the test finishes. */
export async function startTestServer(options: TestServerOptions = {}): Promise<SpoolServer> {
  const base = loadConfig({});
  const config: SpoolConfig = {
    ...base,
    port: 0,
    redis: options.redisPrefix ? (options.redis ?? { url: testRedisUrl }) : undefined,
    redisPrefix: options.redisPrefix ?? base.redisPrefix,
    leaseMs: options.leaseMs ?? base.leaseMs,
    wsMaxBufferedBytes: options.wsMaxBufferedBytes ?? base.wsMaxBufferedBytes,
    drainMs: options.drainMs ?? 0,
    metricsToken: options.metricsToken,
    database: { url: await testDatabaseUrl(), dataDir: 'memory://', migrate: false, poolSize: 2, ...options.database },
    finalRetryMaxMs: options.finalRetryMaxMs ?? 200,
    // Long enough that only `services.recovery.runNow()` runs a pass after the one at start.
    recoveryIntervalMs: 3_600_000,
    openai: options.openai,
    auth: options.auth ?? base.auth,
    maxStreamsPerUser: options.maxStreamsPerUser ?? base.maxStreamsPerUser,
    wsPingMs: options.wsPingMs ?? base.wsPingMs,
    webDir: options.webDir,
    abuse: {
      requestsPerMinute: 1_000_000,
      subscriptionsPerConnection: 100_000,
      connectionsPerUser: 1_000_000,
      wsFrameBudget: { framesPerSecond: 1_000_000, bytesPerSecond: 1 << 30 },
      httpRequestBudget: { framesPerSecond: 1_000_000, bytesPerSecond: 1 << 30 },
      allowedOrigins: undefined,
      ...options.abuse,
    },
    demo: { tokens: options.demoTokens ?? 20, tokensPerSecond: options.demoTokensPerSecond ?? 0 },
    ...options.starts,
  };
  const server = await startSpool(config, {
    log: options.log ?? testLog,
    onQuery: options.onQuery,
    provider: options.provider,
  });
  onTestFinished(() => server.close());
  return server;
}

/** Two instances of one deployment: servers sharing Redis under one fresh key prefix. */
export async function startTwoServers(options: Omit<TestServerOptions, 'redisPrefix'> = {}) {
  const prefix = uniquePrefix();
  const [a, b] = await Promise.all([1, 2].map(() => startTestServer({ ...options, redisPrefix: prefix })));
  return { prefix, a: a as SpoolServer, b: b as SpoolServer };
}
