import type { Redis } from 'ioredis';

export type ScriptCommand = (...args: (string | number)[]) => Promise<unknown>;

/**
 * Defines Lua scripts as commands of the connection, named by their keys: each is then sent by its
 * hash (EVALSHA), not as text per call. Returns the connection, typed with them.
 */
export function defineScripts<Name extends string>(
  redis: Redis,
  scripts: Record<Name, string>,
  numberOfKeys: number,
): Redis & Record<Name, ScriptCommand> {
  for (const [name, lua] of Object.entries<string>(scripts)) redis.defineCommand(name, { numberOfKeys, lua });
  return redis as Redis & Record<Name, ScriptCommand>;
}
