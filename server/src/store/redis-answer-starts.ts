import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { AnswerStart, AnswerStartOutcome, AnswerStarts } from './answer-starts.ts';
import { StreamExistsError, withStore } from './errors.ts';
import type { RedisClient } from './redis-connection.ts';
import { keyValueKey, streamKeys, userLeaseKey } from './redis-keys.ts';
import { defineScripts, type ScriptCommand } from './redis-script-commands.ts';
import { beginAnswerScript, createStreamScript, releaseUserScript, takeUserScript } from './redis-start-scripts.ts';
import type { UserLeaseOptions } from './user-leases.ts';

export interface RedisAnswerStartsOptions {
  prefix: string;
  /** The stream log's TTL, as the stream store has it. */
  logTtlMs: number;
  userLeases: UserLeaseOptions;
  /** Where cancel requests for the answers started here go: the stream store's of this instance. */
  cancelChannel: string;
  log: Logger;
}

type Commands = Record<'spoolBeginAnswer' | 'spoolTakeUser' | 'spoolCreateStream' | 'spoolReleaseUser', ScriptCommand>;

/**
 * Starts over Redis. On one Redis, the whole of `AnswerStarts.begin` is one script, one round trip. On a
 * cluster the user's keys and the stream's are in different slots: the user's part first, then the
 * stream's, and the user's part given back if the stream was not created.
 */
export class RedisAnswerStarts implements AnswerStarts {
  readonly #redis: RedisClient & Commands;
  readonly #options: RedisAnswerStartsOptions;

  constructor(redis: RedisClient, options: RedisAnswerStartsOptions) {
    const scripts = {
      spoolBeginAnswer: beginAnswerScript,
      spoolTakeUser: takeUserScript,
      spoolCreateStream: createStreamScript,
      spoolReleaseUser: releaseUserScript,
    };
    const keys = { spoolBeginAnswer: 5, spoolTakeUser: 3, spoolCreateStream: 2, spoolReleaseUser: 2 };
    this.#redis = defineScripts(redis, scripts, keys);
    this.#options = options;
  }

  async begin(start: AnswerStart): Promise<AnswerStartOutcome> {
    const { prefix, logTtlMs, userLeases, cancelChannel } = this.#options;
    const { streamId, ownerId, rate, claim } = start;
    const stream = streamKeys(prefix, streamId);
    // Without a count or a claim, the script leaves that key alone: the user's lease key stands in for it.
    const leaseKey = userLeaseKey(prefix, ownerId);
    const user = {
      keys: [
        rate ? keyValueKey(prefix, rate.key) : leaseKey,
        leaseKey,
        claim ? keyValueKey(prefix, claim.key) : leaseKey,
      ],
      args: [
        rate?.limit ?? '',
        rate?.windowMs ?? 0,
        userLeases.limit,
        claim?.value ?? '',
        claim?.ttlMs ?? 0,
        userLeases.ttlMs,
        streamId,
      ],
    };
    const create = [
      stream.channel,
      logTtlMs,
      ownerId,
      randomUUID(),
      start.leaseMs,
      JSON.stringify(start.start),
      cancelChannel,
    ];
    const redis = this.#redis;
    const reply = redis.isCluster
      ? await this.#beginInTwo(stream, user, create, start)
      : await withStore(() => redis.spoolBeginAnswer(stream.log, stream.meta, ...user.keys, ...create, ...user.args));
    const [outcome, earlier] = reply as [string, string?];
    switch (outcome) {
      case 'started':
      case 'rate-limited':
      case 'too-many-streams':
        return { kind: outcome };
      case 'claimed':
        return { kind: 'claimed', earlier: earlier ?? '' };
      case 'exists':
        throw new StreamExistsError(streamId);
      default:
        throw new Error(`unexpected reply from the answer start script: ${String(outcome)}`);
    }
  }

  async #beginInTwo(
    stream: { log: string; meta: string },
    user: { keys: string[]; args: (string | number)[] },
    create: (string | number)[],
    start: AnswerStart,
  ): Promise<unknown> {
    const redis = this.#redis;
    const [taken, earlier] = (await withStore(() => redis.spoolTakeUser(...user.keys, ...user.args))) as [
      string,
      string?,
    ];
    if (taken !== 'taken' && taken !== 'held') return [taken, earlier];
    let created: unknown;
    try {
      created = await withStore(() => redis.spoolCreateStream(stream.log, stream.meta, ...create));
    } finally {
      // A lease that was there before this start is the stream's own, not this start's to give back.
      if (created !== 1) await this.#releaseUser(user.keys, start, taken === 'taken');
    }
    return created === 1 ? ['started'] : ['exists'];
  }

  /** Gives back the claim (and the lease it took) of a start whose stream was not created; if that fails too, both lapse by their TTL. */
  async #releaseUser([, leaseKey = '', claimKey = '']: string[], start: AnswerStart, lease: boolean): Promise<void> {
    await this.#redis
      .spoolReleaseUser(leaseKey, claimKey, start.streamId, start.claim?.value ?? '', lease ? '1' : '0')
      .catch((error: unknown) => {
        this.#options.log.warn(
          { err: error, streamId: start.streamId, userId: start.ownerId },
          "giving back a start's user lease failed; it lapses by itself",
        );
      });
  }
}
