import type { RedisClient } from './redis-connection.ts';

export type ScriptCommand = (...args: (string | number)[]) => Promise<unknown>;

/**
 * Defines Lua scripts as commands of the connection, named by their keys: each is then sent by its
 * hash (EVALSHA), not as text per call, and on a cluster to the master of its first key's slot.
 * `numberOfKeys`: the same for all, or per script. Returns the connection, typed with them.
 */
export function defineScripts<Client extends RedisClient, Name extends string>(
  redis: Client,
  scripts: Record<Name, string>,
  numberOfKeys: number | Record<Name, number>,
): Client & Record<Name, ScriptCommand> {
  for (const [name, lua] of Object.entries<string>(scripts)) {
    const keys = typeof numberOfKeys === 'number' ? numberOfKeys : numberOfKeys[name as Name];
    redis.defineCommand(name, { numberOfKeys: keys, lua });
  }
  return redis as Client & Record<Name, ScriptCommand>;
}
