import type { WebSocket } from 'ws';
import { ClientMessageClaims } from './answers/client-message-claims.ts';
import { FinalWriter } from './answers/final-writer.ts';
import { HistoryCache } from './answers/history-cache.ts';
import { type RecoverySchedule, scheduleRecovery } from './answers/recovery.ts';
import type { SpoolConfig } from './config.ts';
import { type Database, openDatabase } from './db/database.ts';
import type { AnswerQueue } from './generation/answer-queue.ts';
import type { AnswerRunner } from './generation/answer-runner.ts';
import type { AnswerWorker } from './generation/answer-worker.ts';
import { DemoProvider } from './generation/demo-provider.ts';
import { Generations } from './generation/generations.ts';
import { OpenAIProvider } from './generation/openai-provider.ts';
import type { ModelProvider } from './generation/provider.ts';
import { QueuedAnswers } from './generation/queued-answers.ts';
import { Readiness } from './health/readiness.ts';
import { ConnectionCounts } from './limits/connection-counts.ts';
import { FifoSemaphore } from './limits/fifo-semaphore.ts';
import { PerUserQueries } from './limits/per-user-queries.ts';
import { RequestRate } from './limits/request-rate.ts';
import type { SubscriptionLimits } from './limits/subscription-slots.ts';
import { createLogger, type Logger } from './logger.ts';
import { SpoolMetrics } from './metrics/spool-metrics.ts';
import { createSpoolApi } from './procedures.ts';
import { openStore } from './store/open-store.ts';
import { RedisStreamStore } from './store/redis.ts';
import type { StreamStore } from './store/types.ts';
import { webSocketContext } from './trpc/context.ts';
import type { SpoolContext } from './trpc/init.ts';
import { type AppRouter, createSpoolRouter } from './trpc/router.ts';

export interface SpoolServicesOptions {
  log?: Logger;
  provider?: ModelProvider;
  /** Sees every SQL statement (tests count them). */
  onQuery?: (sql: string) => void;
}

/** Everything behind Spool's procedures, without a transport: mount `router` in any tRPC server. */
export interface SpoolServices {
  router: AppRouter;
  provider: ModelProvider;
  store: StreamStore;
  storeKind: 'memory' | 'redis';
  db: Database;
  generations: Generations;
  recovery: RecoverySchedule;
  log: Logger;
  /** Open WebSockets and SSE streams per user on this instance. */
  connections: ConnectionCounts;
  /** What a subscription start is checked against (requests per minute, slots). */
  limits: SubscriptionLimits;
  /** Each user's database reads (history, saved answers), a few at a time. */
  queries: PerUserQueries;
  /** This instance's Prometheus metrics (`/metrics`). */
  metrics: SpoolMetrics;
  /** Whether this instance should get traffic (`/readyz`); draining once it is shutting down. */
  readiness: Readiness;
  /** Spool's parts of a WebSocket's tRPC context, for an app that serves Spool over its own WebSocket server. */
  webSocketContext(socket: WebSocket): Required<Pick<SpoolContext, 'subscriptions' | 'waitForDrain'>>;
  /** Lets the answers in flight run to their end (up to the configured drain time), then ends the rest; once. */
  finishAnswers(): Promise<void>;
  /** Finishes the answers, then closes the store and the database. */
  close(): Promise<void>;
}

/** Database reads one user may have in flight (out of the ORM pool's 10 connections by default). */
const queriesInFlightPerUser = 3;
/** Reads one user may start at once before they are paced to their request rate. */
const queryBurstPerUser = 20;

/** How long the store and the database have to answer a readiness probe: `/readyz` turns within a second. */
const readinessTimeoutMs = 500;

/** How long a conversation's recent history stays cached; each final write refreshes it. */
const historyTtlMs = 10 * 60 * 1000;
/** How long a `clientMessageId` is answered from the key-value store rather than the database. */
const clientMessageIdTtlMs = 24 * 60 * 60 * 1000;

/** Opens the stream store and the database (migrating it unless told not to) and wires the procedures to them. */
export async function openSpoolServices(
  config: SpoolConfig,
  options: SpoolServicesOptions = {},
): Promise<SpoolServices> {
  const log = options.log ?? createLogger(config.logLevel);
  const provider: ModelProvider =
    options.provider ?? (config.openai ? new OpenAIProvider(config.openai) : new DemoProvider(config.demo));
  const opened = await openStore({
    ...config,
    log,
    // Queued for a worker, an answer holds its user's place until the queue timeout; the worker then refreshes it.
    userLeases: {
      limit: config.maxStreamsPerUser,
      ttlMs: config.role === 'api' ? config.queueTimeoutMs : config.leaseMs,
    },
  });
  const starting = new FifoSemaphore(config.maxStarting);
  const queue = config.role === 'api' ? await openAnswerQueue(config) : undefined;
  const metrics = new SpoolMetrics({
    activeAnswers: () => generations.size,
    startQueueDepth: () => starting.waiting,
    workQueueDepth: queue && (() => queue.waiting()),
  });
  const observeStatement = (seconds: number, error: unknown) => {
    metrics.databaseStatements.observe(seconds);
    if (error !== undefined) metrics.databaseErrors.inc();
  };
  const db = await openDatabase({ ...config.database, log, onQuery: options.onQuery, observeStatement }).catch(
    async (error: unknown) => {
      await queue?.close();
      await opened.close();
      throw error;
    },
  );
  const { store, keyValue, userLeases, starts } = opened;
  const history = new HistoryCache({
    db,
    entries: opened.history,
    count: config.historyMessages,
    ttlMs: historyTtlMs,
  });
  const finals = new FinalWriter({
    db,
    history,
    log,
    retry: { firstDelayMs: Math.min(100, config.finalRetryMaxMs), maxDelayMs: config.finalRetryMaxMs },
  });
  const generations = new Generations({
    store,
    provider,
    history,
    finals,
    userLeases,
    log,
    leaseMs: config.leaseMs,
    metrics,
  });
  const queued = queue && new QueuedAnswers({ queue, store, userLeases, queueTimeoutMs: config.queueTimeoutMs, log });
  const answers: AnswerRunner = queued ?? generations;
  const worker = config.role === 'worker' ? await startWorker(config, { store, generations, log, metrics }) : undefined;
  const claims = new ClientMessageClaims({ keyValue, ttlMs: clientMessageIdTtlMs, waitMs: 10_000 });
  const connections = new ConnectionCounts(config.abuse.connectionsPerUser);
  const rate = new RequestRate(keyValue, config.abuse.requestsPerMinute);
  const limits: SubscriptionLimits = {
    rate,
    connections,
    subscriptionsPerConnection: config.abuse.subscriptionsPerConnection,
    metrics,
  };
  const queries = new PerUserQueries({
    concurrency: queriesInFlightPerUser,
    perSecond: config.abuse.requestsPerMinute / 60,
    burst: queryBurstPerUser,
  });
  const readiness = new Readiness({ pingStore: opened.ping, pingDatabase: db.ping, timeoutMs: readinessTimeoutMs });
  const router = createSpoolRouter(
    createSpoolApi({
      draining: () => readiness.draining,
      limits,
      store,
      answers,
      provider,
      db,
      claims,
      starts,
      rate,
      leaseMs: queue ? config.queueTimeoutMs : config.leaseMs,
      starting,
      metrics,
      queries,
      startDeadlineMs: config.startDeadlineMs,
      log,
    }),
  );
  const recovery = scheduleRecovery({ db, store, generations, history, log }, config.recoveryIntervalMs);
  let finishing: Promise<void> | undefined;
  const finishAnswers = () =>
    (finishing ??= (async () => {
      await recovery.stop();
      // A worker takes no more answers at once; those it took drain like any others.
      const workerClosed = worker?.close();
      await generations.shutdown(config.drainMs);
      await workerClosed;
      await queued?.settled();
    })());

  return {
    router,
    provider,
    store,
    storeKind: opened.kind,
    db,
    generations,
    recovery,
    log,
    connections,
    limits,
    queries,
    metrics,
    readiness,
    webSocketContext: (socket) => webSocketContext(socket, config.wsMaxBufferedBytes),
    finishAnswers,
    async close() {
      await finishAnswers();
      await provider.close?.();
      await queue?.close();
      await opened.close();
      await db.close();
    },
  };
}

/** `SPOOL_ROLE=api`: the queue answers go to the workers through (config checks there is a Redis). */
async function openAnswerQueue(config: SpoolConfig): Promise<AnswerQueue> {
  const { AnswerQueue } = await import('./generation/answer-queue.ts');
  if (!config.redis) throw new Error('the answer queue needs Redis (REDIS_URL or REDIS_CLUSTER_NODES)');
  return new AnswerQueue(config.redis, config.redisPrefix);
}

/** `SPOOL_ROLE=worker`: generation of queued answers, into the shared Redis log. */
async function startWorker(
  config: SpoolConfig,
  parts: { store: StreamStore; generations: Generations; log: Logger; metrics: SpoolMetrics },
): Promise<AnswerWorker> {
  if (!(parts.store instanceof RedisStreamStore) || !config.redis) {
    throw new Error('a generation worker needs the Redis store (REDIS_URL or REDIS_CLUSTER_NODES)');
  }
  // BullMQ is loaded only where it is used: the other roles start without it.
  const { AnswerWorker } = await import('./generation/answer-worker.ts');
  return new AnswerWorker({
    ...parts,
    store: parts.store,
    redis: config.redis,
    redisPrefix: config.redisPrefix,
    concurrency: config.workerConcurrency,
    leaseMs: config.leaseMs,
  });
}
