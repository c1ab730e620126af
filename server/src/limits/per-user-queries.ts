export interface PerUserQueriesLimits {
  /** Reads of one user in flight at once. */
  concurrency: number;
  /** Reads one user may start per second, on average... */
  perSecond: number;
  /** ...after a first burst of this many. */
  burst: number;
}

interface UserQueue {
  tokens: number;
  refilledAt: number;
  active: number;
  waiting: (() => void)[];
  timer: NodeJS.Timeout | undefined;
}

/**
 * Database reads each user may start: a few at a time, and no faster than their request rate once a
 * first burst is spent; the rest of theirs wait their turn, first come first served. A user asking
 * for hundreds of unknown streams (or pages of history) at once then costs the database a trickle,
 * and everyone else's queries go on as before.
 */
export class PerUserQueries {
  readonly #limits: PerUserQueriesLimits;
  readonly #users = new Map<string, UserQueue>();

  constructor(limits: PerUserQueriesLimits) {
    this.#limits = limits;
  }

  async run<T>(userId: string, query: () => Promise<T>): Promise<T> {
    let user = this.#users.get(userId);
    if (!user) {
      user = { tokens: this.#limits.burst, refilledAt: performance.now(), active: 0, waiting: [], timer: undefined };
      this.#users.set(userId, user);
    }
    if (user.waiting.length > 0 || !this.#admit(user)) {
      await new Promise<void>((resolve) => user.waiting.push(resolve));
    }
    try {
      return await query();
    } finally {
      user.active--;
      this.#pump(userId, user);
    }
  }

  /** Takes a place and a token if both are free. */
  #admit(user: UserQueue): boolean {
    const now = performance.now();
    user.tokens = Math.min(this.#limits.burst, user.tokens + ((now - user.refilledAt) / 1000) * this.#limits.perSecond);
    user.refilledAt = now;
    if (user.active >= this.#limits.concurrency || user.tokens < 1) return false;
    user.tokens--;
    user.active++;
    return true;
  }

  /** Lets in whoever may go now; waits for the next token otherwise; forgets an idle user. */
  #pump(userId: string, user: UserQueue): void {
    while (user.waiting.length > 0 && this.#admit(user)) user.waiting.shift()?.();
    if (user.waiting.length > 0) {
      if (user.active < this.#limits.concurrency && !user.timer) {
        const waitMs = ((1 - user.tokens) / this.#limits.perSecond) * 1000;
        user.timer = setTimeout(() => {
          user.timer = undefined;
          this.#pump(userId, user);
        }, waitMs);
      }
    } else if (user.active === 0) this.#users.delete(userId);
  }
}
