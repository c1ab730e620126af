import { userKeyTag } from './key-value.ts';

/**
 * Every Redis key and channel name Spool uses, under one prefix (which has no braces). A stream's keys
 * and channel share the hash tag `{<id>}`, so a Redis Cluster keeps them in one slot; a user's keys
 * share theirs (`userKeyTag`), never a stream's; a conversation's history has its own; an instance's
 * cancel channel its own. What crosses slots is split, and says so where it is: the answer start
 * (`redis-start-scripts.ts`) and a cancel request (`RedisStreamStore.requestCancel`).
 */
export interface StreamKeys {
  /** A list of event JSON. */
  log: string;
  /** A hash: owner, epoch, status, lease, cancel flag, final event. */
  meta: string;
  /** Every appended event is published here. */
  channel: string;
}

export function streamKeys(prefix: string, streamId: string): StreamKeys {
  const base = `${prefix}:{${streamId}}`;
  return { log: `${base}:log`, meta: `${base}:meta`, channel: base };
}

/** The channel of cancel requests for the generations of one server instance: on a cluster, a sharded channel of its own slot. */
export function cancelChannel(prefix: string, instanceId: string): string {
  return `${prefix}:instance:{${instanceId}}:cancel`;
}

/** A ZSET of the user's generating streams, scored by lease expiry; in the user's slot. */
export function userLeaseKey(prefix: string, userId: string): string {
  return `${prefix}:user-leases:${userKeyTag(userId)}`;
}

/** A value of the key-value store (claims, caches, counters). */
export function keyValueKey(prefix: string, key: string): string {
  return `${prefix}:kv:${key}`;
}

/** A conversation's cached history: its messages (a list) and their owner and version (a hash), in one slot. */
export function historyKeys(prefix: string, conversationId: string): { messages: string; meta: string } {
  const base = `${prefix}:history:{${conversationId}}`;
  return { messages: `${base}:messages`, meta: `${base}:meta` };
}
