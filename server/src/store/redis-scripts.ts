/**
 * Lua scripts of the Redis store: each is one round trip and atomic, so the index assigned, the
 * publish, the TTL and the terminal check can never disagree. KEYS[1] is the log, KEYS[2] the meta hash.
 * The per-token script (append) does only what every event needs; the lease and the running TTL are
 * renewed by `renewLease`, which the generator calls on a timer.
 *
 * On Redis Cluster a stream's keys and its channel share one hash tag, so each script runs on the
 * master of that slot and publishes there with SPUBLISH (sharded pub/sub); on one Redis, PUBLISH.
 */

/** How events reach live readers: classic pub/sub on one Redis, sharded on a cluster. */
export type PubSub = 'classic' | 'sharded';

export const now = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
`;

/**
 * Appends `body` (a JSON object) with its index, last: `JSON.stringify` of the event as the schema
 * orders its keys, so readers send these bytes as they are. The first event starts the log's TTL; a
 * terminal event ends the stream and restarts the TTL of both keys, so the log outlives its end by `ttlMs`.
 */
export const appendFn = (pubsub: PubSub) => `
local function append(channel, body, terminal, ttlMs)
  local index = redis.call('LLEN', KEYS[1])
  local event = string.sub(body, 1, -2) .. ',"index":' .. index .. '}'
  redis.call('RPUSH', KEYS[1], event)
  redis.call('${pubsub === 'sharded' ? 'SPUBLISH' : 'PUBLISH'}', channel, event)
  if terminal == '1' then
    redis.call('HSET', KEYS[2], 'status', 'ended')
    redis.call('PEXPIRE', KEYS[2], ttlMs)
    redis.call('PEXPIRE', KEYS[1], ttlMs)
  elseif index == 0 then
    redis.call('PEXPIRE', KEYS[1], ttlMs)
  end
  return index
end
`;

const requireRunning = `
local status = redis.call('HGET', KEYS[2], 'status')
if not status then return redis.error_reply('SPOOL_NOT_FOUND') end
if status == 'ended' then return redis.error_reply('SPOOL_ENDED') end
`;

/** ARGV: owner, epoch, leaseMs, ttlMs, the generator's cancel channel. Returns 1, or 0 if the stream exists. */
const createScript = `${now}
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[2], 'owner', ARGV[1], 'epoch', ARGV[2], 'status', 'running',
  'leaseMs', ARGV[3], 'leaseUntil', now + tonumber(ARGV[3]), 'cancel', '0', 'cancelChannel', ARGV[5])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return 1
`;

/**
 * ARGV: channel, ttlMs, the index the first event must get ('' for wherever the log ends), then for each
 * event its terminal flag ('1' or '0') and body; only the last may be terminal. Appends them in order,
 * one round trip for all. Returns the first one's index. With an expected index, the same batch sent
 * again (a client resending after a reconnect) is recognised and not appended twice.
 */
const appendScript = (append: string) => `${append}
local status = redis.call('HGET', KEYS[2], 'status')
if not status then return redis.error_reply('SPOOL_NOT_FOUND') end
local expected = tonumber(ARGV[3])
if expected then
  local length = redis.call('LLEN', KEYS[1])
  if length == expected + (#ARGV - 3) / 2 then return expected end
  if length ~= expected then return redis.error_reply('SPOOL_INDEX_CONFLICT') end
end
if status == 'ended' then return redis.error_reply('SPOOL_ENDED') end
local first = nil
for i = 4, #ARGV, 2 do
  local index = append(ARGV[1], ARGV[i + 1], ARGV[i], ARGV[2])
  first = first or index
end
return first
`;

/** ARGV: ttlMs. Extends the lease by the stream's leaseMs, and both keys' TTL. */
const renewLeaseScript = `${now}${requireRunning}
redis.call('HSET', KEYS[2], 'leaseUntil', now + tonumber(redis.call('HGET', KEYS[2], 'leaseMs')))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return 1
`;

/**
 * ARGV: leaseMs, the taker's cancel channel. A queued answer taken by a worker: unless its queue lease
 * lapsed (then the answer is someone else's to end), the lease becomes the worker's, cancels go to
 * the worker's channel, and the final event kept for a queue timeout is dropped. Returns the cancel
 * flag ('1' if cancelled while queued), or -1 when it lapsed.
 */
const takeOverScript = `${now}${requireRunning}
if tonumber(redis.call('HGET', KEYS[2], 'leaseUntil')) <= now then return -1 end
redis.call('HSET', KEYS[2], 'leaseMs', ARGV[1], 'leaseUntil', now + tonumber(ARGV[1]), 'cancelChannel', ARGV[2])
redis.call('HDEL', KEYS[2], 'final')
return redis.call('HGET', KEYS[2], 'cancel')
`;

/**
 * ARGV: stream id. Sets the flag and returns the generator's cancel channel. On one Redis it also tells
 * the generator there, in the same step; on a cluster that channel is in another slot, so the caller
 * SPUBLISHes to it next (a caller lost in between leaves the flag, read by the generator's next resync).
 */
const requestCancelScript = (pubsub: PubSub) => `${requireRunning}
redis.call('HSET', KEYS[2], 'cancel', '1')
local channel = redis.call('HGET', KEYS[2], 'cancelChannel')
${pubsub === 'classic' ? "if channel then redis.call('PUBLISH', channel, ARGV[1]) end" : ''}
return channel or false
`;

/**
 * ARGV: channel, terminal body, ttlMs. If the lease has lapsed, ends the stream with its final event
 * when the generator left one, else with the body given. Returns 1 if it ended the stream.
 */
const endIfAbandonedScript = (append: string) => `${now}${append}
local status = redis.call('HGET', KEYS[2], 'status')
if not status or status == 'ended' then return 0 end
if tonumber(redis.call('HGET', KEYS[2], 'leaseUntil')) > now then return 0 end
append(ARGV[1], redis.call('HGET', KEYS[2], 'final') or ARGV[2], '1', ARGV[3])
return 1
`;

/** ARGV: terminal body. Keeps the finished answer's terminal event beside the log until it is appended. */
const setFinalEventScript = `${requireRunning}
redis.call('HSET', KEYS[2], 'final', ARGV[1])
return 1
`;

/** ARGV: channel, ttlMs. Appends the final event left by the generator, if any. Returns 1 if it ended the stream. */
const endIfFinishedScript = (append: string) => `${append}
local status = redis.call('HGET', KEYS[2], 'status')
if not status or status == 'ended' then return 0 end
local final = redis.call('HGET', KEYS[2], 'final')
if not final then return 0 end
append(ARGV[1], final, '1', ARGV[2])
return 1
`;

/** ARGV: fromIndex, limit. Returns nil if the stream is gone, else { status, length, events }. */
const readPageScript = `
local status = redis.call('HGET', KEYS[2], 'status')
if not status then return false end
local from = tonumber(ARGV[1])
return { status, redis.call('LLEN', KEYS[1]), redis.call('LRANGE', KEYS[1], from, from + tonumber(ARGV[2]) - 1) }
`;

/** Returns nil if the stream is gone, else { owner, epoch, status, length, cancel }. */
const metaScript = `
local fields = redis.call('HMGET', KEYS[2], 'owner', 'epoch', 'status', 'cancel')
if not fields[3] then return false end
return { fields[1], fields[2], fields[3], redis.call('LLEN', KEYS[1]), fields[4] }
`;

/** The store's scripts, by the command names `RedisStreamStore` calls them by. */
export function streamScripts(pubsub: PubSub) {
  const append = appendFn(pubsub);
  return {
    spoolCreate: createScript,
    spoolAppend: appendScript(append),
    spoolRenewLease: renewLeaseScript,
    spoolRequestCancel: requestCancelScript(pubsub),
    spoolEndIfAbandoned: endIfAbandonedScript(append),
    spoolSetFinalEvent: setFinalEventScript,
    spoolEndIfFinished: endIfFinishedScript(append),
    spoolReadPage: readPageScript,
    spoolMeta: metaScript,
    spoolTakeOver: takeOverScript,
  } as const;
}
