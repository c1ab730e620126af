import type { RedisTarget } from '../server/src/store/redis-connection.ts';

/** Every benchmark request comes from the one development user: lift the per-user limits off it. */
const unlimitedUser: Record<string, string> = {
  SPOOL_MAX_STREAMS_PER_USER: '100000',
  SPOOL_REQUESTS_PER_MINUTE: '1000000',
  SPOOL_MAX_CONNECTIONS_PER_USER: '1000000',
  SPOOL_MAX_SUBSCRIPTIONS_PER_CONNECTION: '100000',
  // The frame budget is per user too, and the bench is one user; its clients share connections.
  SPOOL_WS_FRAMES_PER_SECOND: '1000000',
  SPOOL_WS_BYTES_PER_SECOND: '1073741824',
  SPOOL_HTTP_REQUESTS_PER_SECOND: '1000000',
  SPOOL_HTTP_BYTES_PER_SECOND: '1073741824',
};

export interface SharedServices {
  redisUrl: string;
  /** Set: a Redis Cluster's masters, used instead of `redisUrl`. */
  redisClusterNodes?: string[];
  prefix: string;
  databaseUrl: string;
}

/** The Redis the services name: the cluster when they name one. */
export function redisTargetOf(services: Pick<SharedServices, 'redisUrl' | 'redisClusterNodes'>): RedisTarget {
  return services.redisClusterNodes ? { clusterNodes: services.redisClusterNodes } : { url: services.redisUrl };
}

/** The Redis of a bench child process, from the environment `serverEnv` gave it. */
export function redisTargetFromEnv(env: NodeJS.ProcessEnv): RedisTarget {
  const { REDIS_URL: url, REDIS_CLUSTER_NODES: nodes } = env;
  if (nodes) return { clusterNodes: nodes.split(',') };
  if (!url) throw new Error('REDIS_URL or REDIS_CLUSTER_NODES must be set');
  return { url };
}

function redisEnv(services: SharedServices): Record<string, string> {
  const target = redisTargetOf(services);
  return 'url' in target ? { REDIS_URL: target.url } : { REDIS_CLUSTER_NODES: target.clusterNodes.join(',') };
}

/**
 * The environment of a benchmark's Spool server process: port 0, quiet, no shutdown grace, no
 * per-user limits; on Redis and PostgreSQL when `services` is given (else embedded), plus `extra`.
 */
export function serverEnv(services: SharedServices | undefined, extra: Record<string, string> = {}) {
  return {
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    SPOOL_DRAIN_MS: '0',
    ...unlimitedUser,
    ...(services
      ? { ...redisEnv(services), SPOOL_REDIS_PREFIX: services.prefix, DATABASE_URL: services.databaseUrl }
      : { SPOOL_DATA_DIR: 'memory://' }),
    ...extra,
  };
}

/**
 * Node flags of a Spool server process, as `npm start` runs it: a young generation that does not
 * shrink in a quiet spell, so that the burst after one is not collected in many small steps.
 */
export const serverNodeArgs = ['--min-semi-space-size=16'];
