import { withStore } from './errors.ts';
import { type HistoryEntries, type HistoryLookup, type HistoryMessage, idPrefix } from './history-entries.ts';
import type { RedisClient } from './redis-connection.ts';
import { historyKeys } from './redis-keys.ts';
import { defineScripts, type ScriptCommand } from './redis-script-commands.ts';

/**
 * KEYS[1]: the messages (a list of JSON, oldest first); KEYS[2]: a hash of `owner` (set while the
 * history is cached) and `version` (bumped by every append and forget, cached or not).
 */
const scripts = {
  /** Returns {'hit', owner, messages} or {'miss', version}. */
  spoolHistoryLoad: `
local fields = redis.call('HMGET', KEYS[2], 'owner', 'version')
if fields[1] then return {'hit', fields[1], redis.call('LRANGE', KEYS[1], 0, -1)} end
return {'miss', fields[2] or '0'}
`,
  /** ARGV: version read at the miss, owner, ttlMs, then the messages. */
  spoolHistoryFill: `
local fields = redis.call('HMGET', KEYS[2], 'owner', 'version')
if fields[1] or (fields[2] or '0') ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
if #ARGV > 3 then redis.call('RPUSH', KEYS[1], unpack(ARGV, 4)) end
redis.call('HSET', KEYS[2], 'owner', ARGV[2], 'version', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return 1
`,
  /** ARGV: count, ttlMs, then each message's id prefix and JSON. */
  spoolHistoryAppend: `
redis.call('HINCRBY', KEYS[2], 'version', 1)
redis.call('PEXPIRE', KEYS[2], ARGV[2])
if redis.call('HEXISTS', KEYS[2], 'owner') == 0 then return 0 end
local count = tonumber(ARGV[1])
local kept = redis.call('LRANGE', KEYS[1], 0, -1)
for i = 3, #ARGV, 2 do
  local known = false
  for _, json in ipairs(kept) do
    if string.sub(json, 1, #ARGV[i]) == ARGV[i] then known = true break end
  end
  if not known then
    redis.call('RPUSH', KEYS[1], ARGV[i + 1])
    table.insert(kept, ARGV[i + 1])
  end
end
if count == 0 then redis.call('DEL', KEYS[1]) else redis.call('LTRIM', KEYS[1], -count, -1) end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`,
  /** ARGV: ttlMs. */
  spoolHistoryForget: `
redis.call('DEL', KEYS[1])
redis.call('HDEL', KEYS[2], 'owner')
redis.call('HINCRBY', KEYS[2], 'version', 1)
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return 1
`,
} as const;

/** Each operation one script, so one round trip and atomic; both keys of a conversation share a Cluster slot. */
export class RedisHistoryEntries implements HistoryEntries {
  readonly #redis: RedisClient & Record<keyof typeof scripts, ScriptCommand>;
  readonly #prefix: string;

  constructor(redis: RedisClient, prefix: string) {
    this.#redis = defineScripts(redis, scripts, 2);
    this.#prefix = prefix;
  }

  async load(conversationId: string): Promise<HistoryLookup> {
    const reply = (await this.#call('spoolHistoryLoad', conversationId)) as [string, string, string[]?];
    if (reply[0] === 'hit') return { hit: true, ownerId: reply[1], messages: reply[2] ?? [] };
    return { hit: false, version: Number(reply[1]) };
  }

  async fill(conversationId: string, version: number, ownerId: string, messages: string[], ttlMs: number) {
    await this.#call('spoolHistoryFill', conversationId, version, ownerId, ttlMs, ...messages);
  }

  async append(conversationId: string, messages: HistoryMessage[], count: number, ttlMs: number) {
    const pairs = messages.flatMap((message) => [idPrefix(message.id), message.json]);
    await this.#call('spoolHistoryAppend', conversationId, count, ttlMs, ...pairs);
  }

  async forget(conversationId: string, ttlMs: number) {
    await this.#call('spoolHistoryForget', conversationId, ttlMs);
  }

  #call(command: keyof typeof scripts, conversationId: string, ...args: (string | number)[]): Promise<unknown> {
    const keys = historyKeys(this.#prefix, conversationId);
    return withStore(() => this.#redis[command](keys.messages, keys.meta, ...args));
  }
}
