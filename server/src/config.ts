import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { limits } from '@spool/shared';
import { z } from 'zod';
import type { AuthConfig } from './auth/authenticator.ts';
import type { OpenAIProviderOptions } from './generation/openai-provider.ts';
import type { FrameBudgetLimits } from './limits/frame-budget.ts';
import type { RedisTarget } from './store/redis-connection.ts';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
/** `VAR=` (common in .env and compose files) means unset. */
const unsetIfEmpty = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === '' ? undefined : value), schema);

/** A comma-separated list, items trimmed and empty ones dropped, each checked by `item`. */
const commaList = <T extends z.ZodType<unknown, string>>(item: T) =>
  z
    .string()
    .transform((list) =>
      list
        .split(',')
        .map((entry) => entry.trim())
        .filter(Boolean),
    )
    .pipe(z.array(item));
const originOf = (url: string) => new URL(url).origin;
/** Where `npm run build -w @spool/web` (run by `npm start`) puts the chat page. */
const builtChatPage = fileURLToPath(new URL('../../web/dist', import.meta.url));

const envSchema = z.object({
  PORT: int(0, 65_535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** `text`: the start-up banner as text on stderr; `json`: as a log line, nothing but JSON anywhere. */
  SPOOL_LOG_FORMAT: z.enum(['text', 'json']).default('text'),
  /** Set: `/metrics` asks for it as a bearer token. */
  SPOOL_METRICS_TOKEN: unsetIfEmpty(z.string().min(16, 'at least 16 characters').optional()),
  /** Unset (and no cluster): the in-process store of the embedded mode. */
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
  /** Some masters of a Redis Cluster, `host:port` or `redis[s]://[user:password@]host:port`; instead of REDIS_URL. */
  REDIS_CLUSTER_NODES: unsetIfEmpty(
    commaList(
      z
        .string()
        .regex(/^(rediss?:\/\/([^@/]+@)?)?[\w.-]+:\d{1,5}$/, 'host:port, or redis[s]://[user:password@]host:port'),
    )
      .pipe(z.array(z.string()).min(1, 'at least one host:port'))
      .optional(),
  ),
  SPOOL_REDIS_PREFIX: z
    .string()
    .regex(/^[\w.-]+$/, 'letters, digits, _ . - only')
    .default('spool'),
  /** Unset: embedded PGlite in SPOOL_DATA_DIR. */
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  /** PGlite's folder, relative to the working folder; `memory://` keeps it in memory. */
  SPOOL_DATA_DIR: z.string().min(1).default('.spool-data'),
  SPOOL_MIGRATE: z.stringbool().default(true),
  SPOOL_DB_POOL_SIZE: int(1, 1000).default(10),
  /** PostgreSQL schema of Spool's tables (and its migrations table); unset: the connection's default (public). */
  SPOOL_DB_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'a lower-case PostgreSQL name: letters, digits, _')
    .optional(),
  SPOOL_MAX_STARTING: int(1, 100_000).default(256),
  SPOOL_START_DEADLINE_MS: int(100, 600_000).default(10_000),
  SPOOL_HISTORY_MESSAGES: int(0, 1000).default(20),
  SPOOL_RECOVERY_INTERVAL_MS: int(1000, 24 * 3_600_000).default(30_000),
  SPOOL_FINAL_RETRY_MAX_MS: int(10, 600_000).default(5_000),
  SPOOL_LOG_TTL_SECONDS: int(1, 30 * 24 * 3600).default(3600),
  SPOOL_LEASE_MS: int(500, 600_000).default(10_000),
  SPOOL_DRAIN_MS: int(0, 3_600_000).default(30_000),
  /** `all`: serve and generate; `api`: serve, and queue answers for workers; `worker`: generate queued answers. */
  SPOOL_ROLE: z.enum(['all', 'api', 'worker']).default('all'),
  /** Answers one worker process generates at once. */
  SPOOL_WORKER_CONCURRENCY: int(1, 10_000).default(50),
  /** How long a queued answer may wait for a worker before it ends with QUEUE_TIMEOUT. */
  SPOOL_QUEUE_TIMEOUT_MS: int(1_000, 3_600_000).default(30_000),
  /** Server processes on the one port: a number, or `auto` (one per core). */
  SPOOL_PROCESSES: z.union([z.literal('auto'), int(1, 1024)]).default(1),
  SPOOL_MAX_STREAMS_PER_USER: int(1, 100_000).default(10),
  SPOOL_REQUESTS_PER_MINUTE: int(1, 1_000_000).default(300),
  SPOOL_MAX_SUBSCRIPTIONS_PER_CONNECTION: int(1, 100_000).default(100),
  SPOOL_WS_FRAMES_PER_SECOND: int(1, 1_000_000).default(200),
  SPOOL_WS_BYTES_PER_SECOND: int(1024, 1 << 30).default(1 << 20),
  SPOOL_HTTP_REQUESTS_PER_SECOND: int(1, 1_000_000).default(200),
  SPOOL_HTTP_BYTES_PER_SECOND: int(1024, 1 << 30).default(1 << 20),
  SPOOL_MAX_CONNECTIONS_PER_USER: int(1, 1_000_000).default(50),
  /** Comma-separated browser origins allowed on WebSocket and HTTP/SSE; unset: any. */
  SPOOL_ALLOWED_ORIGINS: unsetIfEmpty(
    // As browsers send them: scheme, host, port; no path, no trailing slash, lower case.
    commaList(z.url('a comma-separated list of origins such as https://app.example').transform(originOf)).optional(),
  ),
  /** The chat page's built files, served at `/`; `off`: none. */
  SPOOL_WEB_DIR: unsetIfEmpty(z.string().optional()),
  SPOOL_WS_PING_MS: int(100, 600_000).default(30_000),
  SPOOL_WS_MAX_BUFFERED_BYTES: int(1024, 1 << 30).default(1 << 20),
  /** With OPENAI_BASE_URL or alone: answers from OpenAI (or the compatible endpoint) instead of the demo model. */
  OPENAI_API_KEY: unsetIfEmpty(z.string().optional()),
  OPENAI_BASE_URL: unsetIfEmpty(z.url({ protocol: /^https?$/ }).optional()),
  /** Required with OPENAI_BASE_URL (a local server's models have local names); OpenAI's default otherwise. */
  SPOOL_MODEL: unsetIfEmpty(z.string().max(limits.maxModelChars).optional()),
  /** Comma-separated models a caller may ask for, beside SPOOL_MODEL. */
  SPOOL_MODELS: commaList(
    z.string().max(limits.maxModelChars, `a model name is at most ${limits.maxModelChars} characters`),
  ).default([]),
  NODE_ENV: z.string().optional(),
  /** HS256 shared secret; or SPOOL_JWKS_URL for RS256/ES256. Neither: the development mode (one local user). */
  SPOOL_JWT_SECRET: unsetIfEmpty(z.string().min(32, 'at least 32 characters').optional()),
  SPOOL_JWKS_URL: unsetIfEmpty(z.url({ protocol: /^https?$/ }).optional()),
  SPOOL_JWT_ISSUER: unsetIfEmpty(z.string().optional()),
  SPOOL_JWT_AUDIENCE: unsetIfEmpty(z.string().optional()),
  SPOOL_JWT_CLOCK_TOLERANCE_SECONDS: int(0, 300).default(5),
  SPOOL_FIRST_TOKEN_TIMEOUT_MS: int(100, 600_000).default(30_000),
  SPOOL_IDLE_TIMEOUT_MS: int(100, 600_000).default(30_000),
  SPOOL_PROVIDER_MAX_RETRIES: int(0, 10).default(2),
  SPOOL_DEMO_TOKENS: int(1, 100_000).default(60),
  /** 0: as fast as the server can append. */
  SPOOL_DEMO_TOKENS_PER_SECOND: int(0, 100_000).default(25),
});

export interface SpoolConfig {
  port: number;
  host: string;
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  logFormat: z.infer<typeof envSchema>['SPOOL_LOG_FORMAT'];
  /** The bearer token `/metrics` asks for; undefined: open, like `/healthz`. */
  metricsToken: string | undefined;
  /** Unset: the in-process store. */
  redis: RedisTarget | undefined;
  redisPrefix: string;
  database: {
    /** Unset: PGlite. */
    url: string | undefined;
    /** An absolute path, or `memory://`. */
    dataDir: string;
    /** Apply pending migrations at start. */
    migrate: boolean;
    /** PostgreSQL connections kept open for the answer path (saving exchanges and final answers). */
    poolSize: number;
    /** PostgreSQL: the schema Spool's tables live in, apart from an app's own; unset: the default one. */
    schema?: string | undefined;
  };
  /** Answers starting (between `sendMessage` and its reply) at once on one instance; the rest queue. */
  maxStarting: number;
  /** How long a `sendMessage` may wait for its turn in a burst before it is refused with SERVER_BUSY. */
  startDeadlineMs: number;
  /** Recent messages given to the model as context. */
  historyMessages: number;
  /** How often each instance looks for answers no generator will finish. */
  recoveryIntervalMs: number;
  /** Longest wait between retries of a final write while the database is away. */
  finalRetryMaxMs: number;
  logTtlMs: number;
  leaseMs: number;
  /** Answers one user may have generating at once, across all instances. */
  maxStreamsPerUser: number;
  abuse: AbuseLimits;
  /** On SIGTERM, how long answers in flight may run to their end before they end with SHUTTING_DOWN. */
  drainMs: number;
  /** Server processes `npm start` runs on the one port (each a full instance). */
  processes: number;
  /** What this process does: serve and generate (`all`), serve and queue (`api`), or generate queued answers (`worker`). */
  role: 'all' | 'api' | 'worker';
  workerConcurrency: number;
  queueTimeoutMs: number;
  /** How often WebSockets are pinged; one that stops answering is closed. */
  wsPingMs: number;
  /** The chat page's folder, served at `/`; undefined: no page. */
  webDir: string | undefined;
  /** Bytes a watcher's connection (WebSocket or SSE) may have waiting to be sent before its streams pause. */
  wsMaxBufferedBytes: number;
  demo: { tokens: number; tokensPerSecond: number };
  /** Unset (no OPENAI_API_KEY, no OPENAI_BASE_URL): the demo model answers. */
  openai: OpenAIProviderOptions | undefined;
  auth: AuthConfig;
}

export interface AbuseLimits {
  /** Requests (queries, mutations, subscription starts) one user may make per minute, per instance set. */
  requestsPerMinute: number;
  /** Subscriptions one WebSocket may carry at once. */
  subscriptionsPerConnection: number;
  /** What one WebSocket, and one user across theirs, may send per second, checked before a frame is parsed; past it, the connection is closed (4429). */
  wsFrameBudget: FrameBudgetLimits;
  /** What one HTTP connection may send per second (requests, body bytes), checked before a body is read; past it, 429 and the connection is closed. */
  httpRequestBudget: FrameBudgetLimits;
  /** WebSockets plus SSE streams one user may hold open on one instance. */
  connectionsPerUser: number;
  /** Browser origins allowed; undefined: any. */
  allowedOrigins: string[] | undefined;
}

export class ConfigError extends Error {}

/** Reads the configuration from the environment; a bad value throws one line naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): SpoolConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue?.path[0] ?? 'environment');
    const value = env[name] === undefined ? '' : ` (got ${JSON.stringify(env[name])})`;
    throw new ConfigError(`invalid configuration: ${name}: ${issue?.message ?? 'invalid'}${value}`);
  }
  const e = parsed.data;
  if (e.SPOOL_JWT_SECRET !== undefined && e.SPOOL_JWKS_URL !== undefined) {
    throw new ConfigError('invalid configuration: SPOOL_JWT_SECRET: set it or SPOOL_JWKS_URL, not both');
  }
  const jwt = e.SPOOL_JWT_SECRET !== undefined || e.SPOOL_JWKS_URL !== undefined;
  if (!jwt && e.NODE_ENV === 'production') {
    throw new ConfigError(
      'invalid configuration: SPOOL_JWT_SECRET: NODE_ENV=production needs authentication (SPOOL_JWT_SECRET or SPOOL_JWKS_URL)',
    );
  }
  if (e.OPENAI_BASE_URL !== undefined && e.SPOOL_MODEL === undefined) {
    throw new ConfigError(
      'invalid configuration: SPOOL_MODEL: required with OPENAI_BASE_URL (the model to ask that server for)',
    );
  }
  if (e.REDIS_URL !== undefined && e.REDIS_CLUSTER_NODES !== undefined) {
    throw new ConfigError('invalid configuration: REDIS_CLUSTER_NODES: set it or REDIS_URL, not both');
  }
  const redis: RedisTarget | undefined = e.REDIS_CLUSTER_NODES
    ? { clusterNodes: e.REDIS_CLUSTER_NODES }
    : e.REDIS_URL === undefined
      ? undefined
      : { url: e.REDIS_URL };
  if (e.SPOOL_ROLE !== 'all' && (redis === undefined || e.DATABASE_URL === undefined)) {
    throw new ConfigError(
      `invalid configuration: SPOOL_ROLE: ${e.SPOOL_ROLE} needs Redis (REDIS_URL or REDIS_CLUSTER_NODES) and DATABASE_URL (the queue and the answers are shared)`,
    );
  }
  return {
    port: e.PORT,
    host: e.HOST,
    logLevel: e.LOG_LEVEL,
    logFormat: e.SPOOL_LOG_FORMAT,
    metricsToken: e.SPOOL_METRICS_TOKEN,
    redis,
    redisPrefix: e.SPOOL_REDIS_PREFIX,
    database: {
      url: e.DATABASE_URL,
      dataDir: e.SPOOL_DATA_DIR.startsWith('memory://') ? e.SPOOL_DATA_DIR : resolve(e.SPOOL_DATA_DIR),
      migrate: e.SPOOL_MIGRATE,
      poolSize: e.SPOOL_DB_POOL_SIZE,
      schema: e.SPOOL_DB_SCHEMA,
    },
    historyMessages: e.SPOOL_HISTORY_MESSAGES,
    maxStarting: e.SPOOL_MAX_STARTING,
    startDeadlineMs: e.SPOOL_START_DEADLINE_MS,
    recoveryIntervalMs: e.SPOOL_RECOVERY_INTERVAL_MS,
    finalRetryMaxMs: e.SPOOL_FINAL_RETRY_MAX_MS,
    logTtlMs: e.SPOOL_LOG_TTL_SECONDS * 1000,
    leaseMs: e.SPOOL_LEASE_MS,
    maxStreamsPerUser: e.SPOOL_MAX_STREAMS_PER_USER,
    abuse: {
      requestsPerMinute: e.SPOOL_REQUESTS_PER_MINUTE,
      subscriptionsPerConnection: e.SPOOL_MAX_SUBSCRIPTIONS_PER_CONNECTION,
      wsFrameBudget: { framesPerSecond: e.SPOOL_WS_FRAMES_PER_SECOND, bytesPerSecond: e.SPOOL_WS_BYTES_PER_SECOND },
      httpRequestBudget: {
        framesPerSecond: e.SPOOL_HTTP_REQUESTS_PER_SECOND,
        bytesPerSecond: e.SPOOL_HTTP_BYTES_PER_SECOND,
      },
      connectionsPerUser: e.SPOOL_MAX_CONNECTIONS_PER_USER,
      allowedOrigins: e.SPOOL_ALLOWED_ORIGINS,
    },
    drainMs: e.SPOOL_DRAIN_MS,
    processes: e.SPOOL_PROCESSES === 'auto' ? availableParallelism() : e.SPOOL_PROCESSES,
    role: e.SPOOL_ROLE,
    workerConcurrency: e.SPOOL_WORKER_CONCURRENCY,
    queueTimeoutMs: e.SPOOL_QUEUE_TIMEOUT_MS,
    wsPingMs: e.SPOOL_WS_PING_MS,
    webDir: e.SPOOL_WEB_DIR === 'off' ? undefined : resolve(e.SPOOL_WEB_DIR ?? builtChatPage),
    wsMaxBufferedBytes: e.SPOOL_WS_MAX_BUFFERED_BYTES,
    demo: { tokens: e.SPOOL_DEMO_TOKENS, tokensPerSecond: e.SPOOL_DEMO_TOKENS_PER_SECOND },
    openai:
      e.OPENAI_API_KEY === undefined && e.OPENAI_BASE_URL === undefined
        ? undefined
        : {
            apiKey: e.OPENAI_API_KEY,
            baseURL: e.OPENAI_BASE_URL,
            defaultModel: e.SPOOL_MODEL ?? 'gpt-4o-mini',
            models: e.SPOOL_MODELS,
            maxRetries: e.SPOOL_PROVIDER_MAX_RETRIES,
            firstTokenMs: e.SPOOL_FIRST_TOKEN_TIMEOUT_MS,
            idleMs: e.SPOOL_IDLE_TIMEOUT_MS,
          },
    auth: jwt
      ? {
          mode: 'jwt',
          secret: e.SPOOL_JWT_SECRET,
          jwksUrl: e.SPOOL_JWKS_URL,
          issuer: e.SPOOL_JWT_ISSUER,
          audience: e.SPOOL_JWT_AUDIENCE,
          clockToleranceS: e.SPOOL_JWT_CLOCK_TOLERANCE_SECONDS,
        }
      : { mode: 'development' },
  };
}
