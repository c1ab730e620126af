import { appendFn, now } from './redis-scripts.ts';

/**
 * The answer start's Lua. What it takes of the user (request count, idempotency claim, concurrency
 * lease: keys with the user's hash tag) and what it creates of the stream (keys with the stream's) are
 * two functions: on one Redis both run in one script, one round trip; on a cluster the two key sets are
 * in different slots, so each runs in a script of its own, on its own master, the user's first.
 */

/**
 * Arguments: the user's request counter, lease set and claim key, then request limit ('' to count
 * nothing), counter window ms, concurrent answer limit, claim value ('' for none), claim ttl ms.
 * Returns nil when the user may start one more answer (the claim then taken), else the refusal:
 * {'rate-limited'}, {'claimed', the earlier claim} or {'too-many-streams'}, leaving nothing behind but
 * the count. A claim already holding this very value is this request's own, sent again after a
 * reconnect: taken.
 */
const checkUserFn = `
local function checkUser(rateKey, leaseKey, claimKey, limit, windowMs, streams, claim, claimMs)
  if limit ~= '' then
    local count = redis.call('INCR', rateKey)
    if count == 1 then redis.call('PEXPIRE', rateKey, windowMs) end
    if count > tonumber(limit) then return {'rate-limited'} end
  end
  if claim ~= '' then
    local earlier = redis.call('SET', claimKey, claim, 'PX', claimMs, 'NX', 'GET')
    if earlier and earlier ~= claim then return {'claimed', earlier} end
  end
  redis.call('ZREMRANGEBYSCORE', leaseKey, '-inf', now)
  if redis.call('ZCARD', leaseKey) >= tonumber(streams) then
    if claim ~= '' then redis.call('DEL', claimKey) end
    return {'too-many-streams'}
  end
  return nil
end
`;

/** Arguments: the lease set, user lease ms, stream id. The user's place among their concurrent answers, for this stream. */
const leaseUserFn = `
local function leaseUser(leaseKey, leaseMs, streamId)
  redis.call('ZADD', leaseKey, now + tonumber(leaseMs), streamId)
  if redis.call('PTTL', leaseKey) < tonumber(leaseMs) then redis.call('PEXPIRE', leaseKey, leaseMs) end
end
`;

/**
 * Arguments: the lease set, the claim key, stream id, claim value ('' for none), whether to give back
 * the lease too ('1'). Gives back what the user's part took.
 */
const releaseUserFn = `
local function releaseUser(leaseKey, claimKey, streamId, claim, lease)
  if lease == '1' then redis.call('ZREM', leaseKey, streamId) end
  if claim ~= '' and redis.call('GET', claimKey) == claim then redis.call('DEL', claimKey) end
end
`;

/**
 * KEYS[1], KEYS[2]: the stream's log and meta. Arguments: channel, ttlMs, owner, epoch, leaseMs, start
 * body, the generator's cancel channel. Creates the stream with its start event; false if it exists,
 * unless under this very epoch (this call sent again after a reconnect: created).
 */
const createStreamFn = `
local function createStream(channel, ttlMs, owner, epoch, leaseMs, body, cancelChannel)
  if redis.call('EXISTS', KEYS[2]) == 1 then return redis.call('HGET', KEYS[2], 'epoch') == epoch end
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[2], 'owner', owner, 'epoch', epoch, 'status', 'running',
    'leaseMs', leaseMs, 'leaseUntil', now + tonumber(leaseMs), 'cancel', '0', 'cancelChannel', cancelChannel)
  redis.call('PEXPIRE', KEYS[2], ttlMs)
  append(channel, body, '0', ttlMs)
  return true
end
`;

/**
 * One Redis: the whole start, one round trip, the stream checked before the user's lease is taken. The
 * same call sent again after a reconnect (its epoch already the stream's) is `started`, nothing redone.
 * KEYS: log, meta, request counter, lease set, claim key. ARGV: `createStream`'s seven arguments, then
 * request limit, window ms, concurrent answer limit, claim value, claim ttl ms, user lease ms, stream id.
 * Returns {'started'}, {'exists'} or a refusal.
 */
export const beginAnswerScript = `${now}${appendFn('classic')}${checkUserFn}${leaseUserFn}${releaseUserFn}${createStreamFn}
if redis.call('HGET', KEYS[2], 'epoch') == ARGV[4] then return {'started'} end
local refusal = checkUser(KEYS[3], KEYS[4], KEYS[5], unpack(ARGV, 8, 12))
if refusal then return refusal end
if redis.call('EXISTS', KEYS[2]) == 1 then
  releaseUser(KEYS[4], KEYS[5], ARGV[14], ARGV[11], '0')
  return {'exists'}
end
leaseUser(KEYS[4], ARGV[13], ARGV[14])
createStream(unpack(ARGV, 1, 7))
return {'started'}
`;

/**
 * Cluster, first step, in the user's slot: KEYS: request counter, lease set, claim key. ARGV: as
 * `beginAnswerScript`'s from its eighth on. Returns {'taken'} (the lease and claim held) or a refusal;
 * {'held'} when the stream's lease was there already (this step sent again after a reconnect), nothing redone.
 */
export const takeUserScript = `${now}${checkUserFn}${leaseUserFn}
if redis.call('ZSCORE', KEYS[2], ARGV[7]) then return {'held'} end
local refusal = checkUser(KEYS[1], KEYS[2], KEYS[3], unpack(ARGV, 1, 5))
if refusal then return refusal end
leaseUser(KEYS[2], ARGV[6], ARGV[7])
return {'taken'}
`;

/** Cluster, second step, in the stream's slot: KEYS: log, meta. ARGV: `createStream`'s. Returns 1, or 0 if the stream exists. */
export const createStreamScript = `${now}${appendFn('sharded')}${createStreamFn}
return createStream(unpack(ARGV, 1, 7)) and 1 or 0
`;

/** Cluster, after a second step that did not create the stream: KEYS: lease set, claim key. ARGV: `releaseUser`'s last three. */
export const releaseUserScript = `${releaseUserFn}
releaseUser(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3])
return 1
`;
