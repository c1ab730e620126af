/**
 * Lua scripts of the Redis store: each is one round trip and atomic, so the index assigned, the
 * publish, the TTL and the terminal check can never disagree. KEYS[1] is the log, KEYS[2] the meta hash.
 * The per-token script (append) does only what every event needs; the lease and the running TTL are
 * renewed by `renewLease`, which the generator calls on a timer.
 */

const now = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
`;

/**
 * Appends `body` (a JSON object) with its index, last: `JSON.stringify` of the event as the schema
 * orders its keys, so readers send these bytes as they are. The first event starts the log's TTL; a
 * terminal event ends the stream and restarts the TTL of both keys, so the log outlives its end by `ttlMs`.
 */
const appendFn = `
local function append(channel, body, terminal, ttlMs)
  local index = redis.call('LLEN', KEYS[1])
  local event = string.sub(body, 1, -2) .. ',"index":' .. index .. '}'
  redis.call('RPUSH', KEYS[1], event)
  redis.call('PUBLISH', channel, event)
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
export const createScript = `${now}
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[2], 'owner', ARGV[1], 'epoch', ARGV[2], 'status', 'running',
  'leaseMs', ARGV[3], 'leaseUntil', now + tonumber(ARGV[3]), 'cancel', '0', 'cancelChannel', ARGV[5])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return 1
`;

/**
 * Everything that must hold before an answer may start, and its stream with its `start` event, in one
 * round trip. KEYS: log, meta, the user's request counter, the user's lease set, the idempotency claim.
 * ARGV: channel, ttlMs, owner, epoch, leaseMs, start body, stream id, request limit ('' to count
 * nothing), counter window ms, concurrent answer limit, user lease ms, claim value ('' for none),
 * claim ttl ms, the generator's cancel channel. Returns {'started'}, {'rate-limited'}, {'too-many-streams'}, {'claimed', the earlier
 * claim} or {'exists'}; a refused request leaves nothing behind but its count.
 * On Redis Cluster the user's keys and the stream's are in different slots: this splits into a user
 * script (count, claim, lease) and the stream's (create, start), two round trips.
 */
export const beginAnswerScript = `${now}${appendFn}
if ARGV[8] ~= '' then
  local count = redis.call('INCR', KEYS[3])
  if count == 1 then redis.call('PEXPIRE', KEYS[3], ARGV[9]) end
  if count > tonumber(ARGV[8]) then return {'rate-limited'} end
end
if ARGV[12] ~= '' then
  local earlier = redis.call('SET', KEYS[5], ARGV[12], 'PX', ARGV[13], 'NX', 'GET')
  if earlier then return {'claimed', earlier} end
end
local refusal = nil
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now)
if redis.call('ZCARD', KEYS[4]) >= tonumber(ARGV[10]) then refusal = 'too-many-streams'
elseif redis.call('EXISTS', KEYS[2]) == 1 then refusal = 'exists' end
if refusal then
  if ARGV[12] ~= '' then redis.call('DEL', KEYS[5]) end
  return {refusal}
end
redis.call('ZADD', KEYS[4], now + tonumber(ARGV[11]), ARGV[7])
if redis.call('PTTL', KEYS[4]) < tonumber(ARGV[11]) then redis.call('PEXPIRE', KEYS[4], ARGV[11]) end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[2], 'owner', ARGV[3], 'epoch', ARGV[4], 'status', 'running',
  'leaseMs', ARGV[5], 'leaseUntil', now + tonumber(ARGV[5]), 'cancel', '0', 'cancelChannel', ARGV[14])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
append(ARGV[1], ARGV[6], '0', ARGV[2])
return {'started'}
`;

/**
 * ARGV: channel, ttlMs, the index the first event must get ('' for wherever the log ends), then for each
 * event its terminal flag ('1' or '0') and body; only the last may be terminal. Appends them in order,
 * one round trip for all. Returns the first one's index. With an expected index, the same batch sent
 * again (a client resending after a reconnect) is recognised and not appended twice.
 */
export const appendScript = `${appendFn}
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
export const renewLeaseScript = `${now}${requireRunning}
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
export const takeOverScript = `${now}${requireRunning}
if tonumber(redis.call('HGET', KEYS[2], 'leaseUntil')) <= now then return -1 end
redis.call('HSET', KEYS[2], 'leaseMs', ARGV[1], 'leaseUntil', now + tonumber(ARGV[1]), 'cancelChannel', ARGV[2])
redis.call('HDEL', KEYS[2], 'final')
return redis.call('HGET', KEYS[2], 'cancel')
`;

/** ARGV: stream id. Sets the flag, and tells the generator's instance on its cancel channel. */
export const requestCancelScript = `${requireRunning}
redis.call('HSET', KEYS[2], 'cancel', '1')
local channel = redis.call('HGET', KEYS[2], 'cancelChannel')
if channel then redis.call('PUBLISH', channel, ARGV[1]) end
return 1
`;

/**
 * ARGV: channel, terminal body, ttlMs. If the lease has lapsed, ends the stream with its final event
 * when the generator left one, else with the body given. Returns 1 if it ended the stream.
 */
export const endIfAbandonedScript = `${now}${appendFn}
local status = redis.call('HGET', KEYS[2], 'status')
if not status or status == 'ended' then return 0 end
if tonumber(redis.call('HGET', KEYS[2], 'leaseUntil')) > now then return 0 end
append(ARGV[1], redis.call('HGET', KEYS[2], 'final') or ARGV[2], '1', ARGV[3])
return 1
`;

/** ARGV: terminal body. Keeps the finished answer's terminal event beside the log until it is appended. */
export const setFinalEventScript = `${requireRunning}
redis.call('HSET', KEYS[2], 'final', ARGV[1])
return 1
`;

/** ARGV: channel, ttlMs. Appends the final event left by the generator, if any. Returns 1 if it ended the stream. */
export const endIfFinishedScript = `${appendFn}
local status = redis.call('HGET', KEYS[2], 'status')
if not status or status == 'ended' then return 0 end
local final = redis.call('HGET', KEYS[2], 'final')
if not final then return 0 end
append(ARGV[1], final, '1', ARGV[2])
return 1
`;

/** ARGV: fromIndex, limit. Returns nil if the stream is gone, else { status, length, events }. */
export const readPageScript = `
local status = redis.call('HGET', KEYS[2], 'status')
if not status then return false end
local from = tonumber(ARGV[1])
return { status, redis.call('LLEN', KEYS[1]), redis.call('LRANGE', KEYS[1], from, from + tonumber(ARGV[2]) - 1) }
`;

/** Returns nil if the stream is gone, else { owner, epoch, status, length, cancel }. */
export const metaScript = `
local fields = redis.call('HMGET', KEYS[2], 'owner', 'epoch', 'status', 'cancel')
if not fields[3] then return false end
return { fields[1], fields[2], fields[3], redis.call('LLEN', KEYS[1]), fields[4] }
`;
