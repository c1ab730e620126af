import { appendFn, now } from './redis-scripts.ts';

/**
 * The answer start's Lua. What it takes of the user (request count, idempotency claim, concurrency
 * lease: keys with the user's hash tag) and what it creates of the stream (keys with the stream's) are
 * two functions: on one Redis both run in one script, one round trip; on a cluster the two key sets are
 * in different slots, so each runs in a script of its own, on its own master, the user's first.
 */

/**
 * Arguments: the user's request counter, lease set and claim key, then request limit ('' to count
 * nothing), counter window ms, concurrent answer limit, user lease ms, claim value ('' for none),
 * claim ttl ms, stream id. Returns nil once the lease is taken, else the refusal: {'rate-limited'},
 * {'claimed', the earlier claim} or {'too-many-streams'}, leaving nothing behind but the count.
 */
const takeUserFn = `
local function takeUser(rateKey, leaseKey, claimKey, limit, windowMs, streams, leaseMs, claim, claimMs, streamId)
  if limit ~= '' then
    local count = redis.call('INCR', rateKey)
    if count == 1 then redis.call('PEXPIRE', rateKey, windowMs) end
    if count > tonumber(limit) then return {'rate-limited'} end
  end
  if claim ~= '' then
    local earlier = redis.call('SET', claimKey, claim, 'PX', claimMs, 'NX', 'GET')
    if earlier then return {'claimed', earlier} end
  end
  redis.call('ZREMRANGEBYSCORE', leaseKey, '-inf', now)
  if redis.call('ZCARD', leaseKey) >= tonumber(streams) then
    if claim ~= '' then redis.call('DEL', claimKey) end
    return {'too-many-streams'}
  end
  redis.call('ZADD', leaseKey, now + tonumber(leaseMs), streamId)
  if redis.call('PTTL', leaseKey) < tonumber(leaseMs) then redis.call('PEXPIRE', leaseKey, leaseMs) end
  return nil
end
`;

/** Arguments: the lease set, the claim key, stream id, claim value ('' for none). Gives back what `takeUser` took. */
const releaseUserFn = `
local function releaseUser(leaseKey, claimKey, streamId, claim)
  redis.call('ZREM', leaseKey, streamId)
  if claim ~= '' and redis.call('GET', claimKey) == claim then redis.call('DEL', claimKey) end
end
`;

/**
 * KEYS[1], KEYS[2]: the stream's log and meta. Arguments: channel, ttlMs, owner, epoch, leaseMs, start
 * body, the generator's cancel channel. Creates the stream with its start event; false if it exists.
 */
const createStreamFn = `
local function createStream(channel, ttlMs, owner, epoch, leaseMs, body, cancelChannel)
  if redis.call('EXISTS', KEYS[2]) == 1 then return false end
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[2], 'owner', owner, 'epoch', epoch, 'status', 'running',
    'leaseMs', leaseMs, 'leaseUntil', now + tonumber(leaseMs), 'cancel', '0', 'cancelChannel', cancelChannel)
  redis.call('PEXPIRE', KEYS[2], ttlMs)
  append(channel, body, '0', ttlMs)
  return true
end
`;

/**
 * One Redis: the whole start, one round trip. KEYS: log, meta, request counter, lease set, claim key.
 * ARGV: `createStream`'s seven arguments, then `takeUser`'s seven. Returns {'started'}, {'exists'} or a refusal.
 */
export const beginAnswerScript = `${now}${appendFn('classic')}${takeUserFn}${releaseUserFn}${createStreamFn}
local refusal = takeUser(KEYS[3], KEYS[4], KEYS[5], unpack(ARGV, 8, 14))
if refusal then return refusal end
if not createStream(unpack(ARGV, 1, 7)) then
  releaseUser(KEYS[4], KEYS[5], ARGV[14], ARGV[12])
  return {'exists'}
end
return {'started'}
`;

/** Cluster, first step: KEYS: request counter, lease set, claim key (one slot, the user's). ARGV: `takeUser`'s. Returns {'taken'} or a refusal. */
export const takeUserScript = `${now}${takeUserFn}
return takeUser(KEYS[1], KEYS[2], KEYS[3], unpack(ARGV, 1, 7)) or {'taken'}
`;

/** Cluster, second step: KEYS: log, meta. ARGV: `createStream`'s. Returns 1, or 0 if the stream exists. */
export const createStreamScript = `${now}${appendFn('sharded')}${createStreamFn}
return createStream(unpack(ARGV, 1, 7)) and 1 or 0
`;

/** Cluster, after a second step that did not create the stream: KEYS: lease set, claim key. ARGV: stream id, claim value. */
export const releaseUserScript = `${releaseUserFn}
releaseUser(KEYS[1], KEYS[2], ARGV[1], ARGV[2])
return 1
`;
