/**
 * Every Redis key and channel name Spool uses, under one prefix. A stream's keys share the hash tag
 * `{<id>}`, so a Redis Cluster keeps them in one slot; a user's keys share none with a stream's.
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

/** The channel of cancel requests for the generations of one server instance. */
export function cancelChannel(prefix: string, instanceId: string): string {
  return `${prefix}:instance:${instanceId}:cancel`;
}

/** A ZSET of the user's generating streams, scored by lease expiry. */
export function userLeaseKey(prefix: string, userId: string): string {
  return `${prefix}:user-leases:${JSON.stringify(userId)}`;
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
