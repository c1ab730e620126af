import { setTimeout as sleep } from 'node:timers/promises';
import { type SendMessageOutput, SpoolErrorCode, sendMessageOutputSchema } from '@spool/shared';
import { z } from 'zod';
import { SpoolError } from '../errors.ts';
import { parseJson } from '../json.ts';
import type { ClaimRequest } from '../store/answer-starts.ts';
import { type KeyValueStore, userKeyTag } from '../store/key-value.ts';

const claimSchema = z.object({ ids: sendMessageOutputSchema, committed: z.boolean() });

export interface ClientMessageClaimsOptions {
  keyValue: KeyValueStore;
  /** How long a `clientMessageId` is remembered here; past it, the database's unique index still refuses a repeat. */
  ttlMs: number;
  /** How long a repeat waits for the first request to commit; an uncommitted claim lapses after twice this. */
  waitMs: number;
}

/**
 * Makes `sendMessage` idempotent per (user, clientMessageId) across server instances, without a
 * database query before generation starts: the first request claims the key as its answer starts
 * (`claimOf`, set by `AnswerStarts`); a repeat gets the first request's ids, once the first has
 * committed them.
 */
export class ClientMessageClaims {
  readonly #options: ClientMessageClaimsOptions;

  constructor(options: ClientMessageClaimsOptions) {
    this.#options = options;
  }

  /** The claim a new request sets for `ids`, unless an earlier request's is there (`AnswerStarts` sets it). */
  claimOf(ownerId: string, clientMessageId: string, ids: SendMessageOutput): ClaimRequest {
    return { key: keyOf(ownerId, clientMessageId), value: pendingClaim(ids), ttlMs: this.#options.waitMs * 2 };
  }

  /**
   * After `claimOf`'s claim found `earlier` in its place: the earlier request's durable ids once it
   * has committed them, or null when its claim lapsed or was released and this call took it (this
   * call must then `commit` or `release` it).
   */
  async awaitEarlier(
    ownerId: string,
    clientMessageId: string,
    ids: SendMessageOutput,
    earlier: string,
  ): Promise<SendMessageOutput | null> {
    const { keyValue, waitMs } = this.#options;
    const mine = this.claimOf(ownerId, clientMessageId, ids);
    const deadline = Date.now() + waitMs;
    for (let existing: string | null = earlier; existing !== null; ) {
      const claim = claimSchema.safeParse(parseJson(existing));
      if (!claim.success) throw new Error(`unreadable idempotency claim under ${mine.key}`);
      if (claim.data.committed) return claim.data.ids;
      if (Date.now() > deadline) {
        throw new SpoolError(
          SpoolErrorCode.requestInProgress,
          'an earlier request with this clientMessageId is still being saved; try again',
        );
      }
      await sleep(20); // the first request is committing: a few milliseconds, rarely more
      existing = await keyValue.setIfAbsent(mine.key, mine.value, mine.ttlMs);
    }
    return null;
  }

  async commit(ownerId: string, clientMessageId: string, ids: SendMessageOutput): Promise<void> {
    const { keyValue, ttlMs } = this.#options;
    await keyValue.set(keyOf(ownerId, clientMessageId), JSON.stringify({ ids, committed: true }), ttlMs);
  }

  /** Lets a later request with the same id try again, after this one (holding the claim for `ids`) failed. */
  async release(ownerId: string, clientMessageId: string, ids: SendMessageOutput): Promise<void> {
    await this.#options.keyValue.deleteIfEquals(keyOf(ownerId, clientMessageId), pendingClaim(ids));
  }
}

/** A claim not yet committed; `release` deletes it only if it is still exactly this. */
function pendingClaim(ids: SendMessageOutput): string {
  return JSON.stringify({ ids, committed: false });
}

function keyOf(ownerId: string, clientMessageId: string): string {
  return `client-message:${userKeyTag(ownerId)}:${JSON.stringify(clientMessageId)}`;
}
