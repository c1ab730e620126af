import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { AnswerStart, AnswerStartOutcome, AnswerStarts } from './answer-starts.ts';
import { StreamExistsError, withStore } from './errors.ts';
import { keyValueKey, streamKeys, userLeaseKey } from './redis-keys.ts';
import { defineScripts, type ScriptCommand } from './redis-script-commands.ts';
import { beginAnswerScript } from './redis-scripts.ts';
import type { UserLeaseOptions } from './user-leases.ts';

export interface RedisAnswerStartsOptions {
  prefix: string;
  /** The stream log's TTL, as the stream store has it. */
  logTtlMs: number;
  userLeases: UserLeaseOptions;
  /** Where cancel requests for the answers started here go: the stream store's of this instance. */
  cancelChannel: string;
}

/** Starts over Redis: the whole of `AnswerStarts.begin` in one script, one round trip. */
export class RedisAnswerStarts implements AnswerStarts {
  readonly #redis: Redis & Record<'spoolBeginAnswer', ScriptCommand>;
  readonly #options: RedisAnswerStartsOptions;

  constructor(redis: Redis, options: RedisAnswerStartsOptions) {
    this.#redis = defineScripts(redis, { spoolBeginAnswer: beginAnswerScript }, 5);
    this.#options = options;
  }

  async begin(start: AnswerStart): Promise<AnswerStartOutcome> {
    const { prefix, logTtlMs, userLeases } = this.#options;
    const { streamId, ownerId, rate, claim } = start;
    const stream = streamKeys(prefix, streamId);
    // Without a count or a claim, the script leaves that key alone: the user's lease key stands in for it.
    const leaseKey = userLeaseKey(prefix, ownerId);
    const rateKey = rate ? keyValueKey(prefix, rate.key) : leaseKey;
    const claimKey = claim ? keyValueKey(prefix, claim.key) : leaseKey;
    const [outcome, earlier] = (await withStore(() =>
      this.#redis.spoolBeginAnswer(
        stream.log,
        stream.meta,
        rateKey,
        leaseKey,
        claimKey,
        stream.channel,
        logTtlMs,
        ownerId,
        randomUUID(),
        start.leaseMs,
        JSON.stringify(start.start),
        streamId,
        rate?.limit ?? '',
        rate?.windowMs ?? 0,
        userLeases.limit,
        userLeases.ttlMs,
        claim?.value ?? '',
        claim?.ttlMs ?? 0,
        this.#options.cancelChannel,
      ),
    )) as [string, string?];
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
}
