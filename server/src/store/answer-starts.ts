import type { StreamEventBody } from '@spool/shared';
import type { KeyValueStore } from './key-value.ts';
import type { StreamStore } from './types.ts';
import type { MemoryUserLeases } from './user-leases.ts';

/** A user's request counter: one fixed window of the key-value store. */
export interface RateCounter {
  key: string;
  limit: number;
  windowMs: number;
}

/** An idempotency claim: `value` is set under `key` unless an earlier request's claim is there. */
export interface ClaimRequest {
  key: string;
  value: string;
  ttlMs: number;
}

export interface AnswerStart {
  streamId: string;
  ownerId: string;
  /** The generator's lease on the stream. */
  leaseMs: number;
  /** The stream's first event, appended at index 0. */
  start: Extract<StreamEventBody, { type: 'start' }>;
  /** Counted first, unless the request was counted already. */
  rate: RateCounter | undefined;
  claim: ClaimRequest | undefined;
}

export type AnswerStartOutcome =
  | { kind: 'started' }
  | { kind: 'rate-limited' }
  | { kind: 'too-many-streams' }
  /** An earlier request holds the claim: its value, as set. */
  | { kind: 'claimed'; earlier: string };

/**
 * What stands before an answer's generation, in order: the user's request count, the idempotency
 * claim, the user's concurrent-answer lease, the stream and its `start` event. All or nothing: a
 * refused start leaves no lease, claim or stream behind (its request still counts).
 */
export interface AnswerStarts {
  begin(start: AnswerStart): Promise<AnswerStartOutcome>;
}

/** The embedded mode's starts: the in-process stores, one step after another in one process. */
export class MemoryAnswerStarts implements AnswerStarts {
  readonly #keyValue: KeyValueStore;
  readonly #leases: MemoryUserLeases;
  readonly #store: StreamStore;

  constructor(keyValue: KeyValueStore, leases: MemoryUserLeases, store: StreamStore) {
    this.#keyValue = keyValue;
    this.#leases = leases;
    this.#store = store;
  }

  async begin(start: AnswerStart): Promise<AnswerStartOutcome> {
    const { rate, claim, ownerId, streamId } = start;
    if (rate && (await this.#keyValue.increment(rate.key, rate.windowMs)) > rate.limit) return { kind: 'rate-limited' };
    if (claim) {
      const earlier = await this.#keyValue.setIfAbsent(claim.key, claim.value, claim.ttlMs);
      if (earlier !== null) return { kind: 'claimed', earlier };
    }
    if (!(await this.#leases.acquire(ownerId, streamId))) {
      if (claim) await this.#keyValue.deleteIfEquals(claim.key, claim.value);
      return { kind: 'too-many-streams' };
    }
    await this.#store.create(streamId, { ownerId, leaseMs: start.leaseMs });
    await this.#store.append(streamId, start.start);
    return { kind: 'started' };
  }
}
