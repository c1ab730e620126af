import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';

/** Where the Redis store is: one server (`REDIS_URL`), or a Redis Cluster by some of its masters (`REDIS_CLUSTER_NODES`). */
export type RedisTarget = { url: string } | { clusterNodes: string[] };

/** A connection to either: ioredis gives both the same commands, scripts and events. */
export type RedisClient = Redis | Cluster;

/** `redis.isCluster`, as a type guard. */
export function isCluster(redis: RedisClient): redis is Cluster {
  return redis.isCluster;
}

export type ConnectionRole = 'commands' | 'subscriber' | 'queue';

const reconnectDelay = (attempt: number) => Math.min(attempt * 100, 2_000);

/**
 * Per role: commands fail fast while disconnected instead of queueing, pipelined automatically; the
 * subscriber re-subscribes through `SubscriberHub`, which knows when it is done; the queue's (BullMQ)
 * commands wait through a reconnect, as its blocking reads need.
 */
function roleOptions(role: ConnectionRole): RedisOptions {
  if (role === 'queue') return { maxRetriesPerRequest: null, connectionName: 'spool-queue' };
  return {
    enableOfflineQueue: false,
    enableAutoPipelining: role === 'commands',
    autoResubscribe: false,
    maxRetriesPerRequest: 1,
    connectionName: `spool-${role}`,
  };
}

/** A cluster seed as ioredis takes it: `host:port`, or a `redis://` / `rediss://` URL. */
function clusterNode(entry: string): { host: string; port: number; url: URL } {
  const url = new URL(/^rediss?:\/\//.test(entry) ? entry : `redis://${entry}`);
  return { host: url.hostname, port: Number(url.port || 6379), url };
}

/** A client of `target`, not yet connected. On a cluster, the subscriber reads sharded channels: one connection per master. */
export function redisClient(target: RedisTarget, role: ConnectionRole): RedisClient {
  const { enableOfflineQueue, enableAutoPipelining: _, ...perNode } = roleOptions(role);
  // BullMQ connects its own connection; Spool's are connected by `connectRedis`.
  const lazyConnect = role !== 'queue';
  if ('url' in target)
    return new Redis(target.url, { lazyConnect, retryStrategy: reconnectDelay, ...roleOptions(role) });
  const nodes = target.clusterNodes.map(clusterNode);
  // Credentials and TLS are the cluster's, so the first seed's stand for all of it.
  const { url } = nodes[0] ?? clusterNode('127.0.0.1');
  return new Cluster(
    nodes.map(({ host, port }) => ({ host, port })),
    {
      lazyConnect,
      enableOfflineQueue,
      // Off on a cluster: ioredis retries an auto-pipelined batch after MOVED, ASK or NOSCRIPT only when
      // every command in it is read-only, and Spool's scripts write; one by one, each is redirected.
      enableAutoPipelining: false,
      shardedSubscribers: role === 'subscriber',
      // A slot moved while ioredis asked a master that did not know yet is seen at the next refresh.
      slotsRefreshInterval: role === 'subscriber' ? 5_000 : undefined,
      clusterRetryStrategy: reconnectDelay,
      // A master restarted in place (same address, same slots) sends no MOVED: reconnect to it.
      clusterNodeRetryStrategy: reconnectDelay,
      redisOptions: {
        ...perNode,
        username: decodeURIComponent(url.username) || undefined,
        password: decodeURIComponent(url.password) || undefined,
        tls: url.protocol === 'rediss:' ? {} : undefined,
      },
    },
  );
}

/** A cluster's errors come per master and per retry: at most one line per this many ms. */
const clusterErrorLogMs = 5_000;

/**
 * A connected client of `target` for `role`, logging its transitions, not every failed reconnect
 * attempt. One Redis is lost, then restored; a cluster's masters come and go one by one, so its
 * errors are logged at most once per `clusterErrorLogMs`, with how many were left out.
 */
export async function connectRedis(target: RedisTarget, role: ConnectionRole, log: Logger): Promise<RedisClient> {
  const redis = redisClient(target, role);
  if (redis.isCluster) {
    let loggedAt = 0;
    let unlogged = 0;
    redis.on('error', (error) => {
      if (Date.now() - loggedAt < clusterErrorLogMs) {
        unlogged++;
        return;
      }
      log.error(
        { err: error, role, unlogged },
        'redis cluster error; requests to the masters concerned fail until they are back',
      );
      loggedAt = Date.now();
      unlogged = 0;
    });
  } else {
    let healthy = true;
    redis.on('error', (error) => {
      if (!healthy) return;
      healthy = false;
      log.error({ err: error, role }, 'redis connection lost; requests fail until it is back');
    });
    redis.on('ready', () => {
      if (healthy) return;
      healthy = true;
      log.warn({ role }, 'redis connection restored');
    });
  }
  await redis.connect();
  return redis;
}

/** QUIT when connected, so pending replies arrive; when not, there is nothing to wait for. */
export async function closeRedis(redis: RedisClient): Promise<void> {
  if (redis.status === 'ready') await redis.quit();
  else redis.disconnect();
}
