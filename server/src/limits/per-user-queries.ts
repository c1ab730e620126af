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

  /**
   * Runs `query` in the user's turn. Aborting `signal` while it waits takes it out of the line, with
   * neither a place nor a token spent (a subscription closed before its lookup came up).
   */
  async run<T>(userId: string, query: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    signal?.throwIfAborted();
    let user = this.#users.get(userId);
    if (!user) {
      user = { tokens: this.#limits.burst, refilledAt: performance.now(), active: 0, waiting: [], timer: undefined };
      this.#users.set(userId, user);
    }
    if (user.waiting.length > 0 || !this.#admit(user)) await this.#turn(userId, user, signal);
    try {
      return await query();
    } finally {
      user.active--;
      this.#pump(userId, user);
    }
  }

  #turn(userId: string, user: UserQueue, signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const leave = () => {
        user.waiting.splice(user.waiting.indexOf(admitted), 1);
        if (user.waiting.length === 0 && user.active === 0) this.#forget(userId, user);
        reject(signal?.reason);
      };
      const admitted = () => {
        signal?.removeEventListener('abort', leave);
        resolve();
      };
      user.waiting.push(admitted);
      signal?.addEventListener('abort', leave, { once: true });
    });
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
    } else if (user.active === 0) this.#forget(userId, user);
  }

  #forget(userId: string, user: UserQueue): void {
    clearTimeout(user.timer);
    this.#users.delete(userId);
  }
}
